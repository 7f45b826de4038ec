# Sourced by bin/run and bin/test: make .venv and install the project's dependencies into it,
# again only when pyproject.toml changed since the last install.
ensure_venv() {
    local extra="${1:-}"
    local python="${PYTHON:-python3}"
    if ! "$python" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
        echo "Python 3.11 or newer is needed (found: $("$python" --version 2>&1)). Set PYTHON=/path/to/python3.11." >&2
        exit 1
    fi
    [ -x .venv/bin/python ] || "$python" -m venv .venv
    local spec="."
    [ -n "$extra" ] && spec=".[$extra]"
    local stamp=".venv/.installed-${extra:-base}"
    local want
    want="$(sha256sum pyproject.toml | cut -d' ' -f1)"
    if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
        echo "Installing dependencies into .venv ..."
        .venv/bin/python -m pip install -q --upgrade pip
        .venv/bin/python -m pip install -q "$spec"
        echo "$want" > "$stamp"
    fi
    export PATH="$PWD/.venv/bin:$PATH"
}
