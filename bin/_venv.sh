# Sourced by bin/run and bin/test: make .venv and install the pinned dependencies into it,
# again only when the lock file changed since the last install.
# ensure_venv        -> requirements/base.txt (what runs the portal)
# ensure_venv dev    -> requirements/dev.txt  (that plus the test and lint tools)
# The locks are compiled from pyproject.toml by bin/lock; pip checks every hash in them.
ensure_venv() {
    local extra="${1:-}"
    local python="${PYTHON:-python3}"
    if ! "$python" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
        echo "Python 3.11 or newer is needed (found: $("$python" --version 2>&1)). Set PYTHON=/path/to/python3.11." >&2
        exit 1
    fi
    [ -x .venv/bin/python ] || "$python" -m venv .venv
    local lock="requirements/${extra:-base}.txt"
    local stamp=".venv/.installed-${extra:-base}"
    local want
    want="lock:$(sha256sum "$lock" | cut -d' ' -f1)"
    if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
        echo "Installing $lock into .venv ..."
        .venv/bin/python -m pip install -q -r "$lock"
        echo "$want" > "$stamp"
    fi
    export PATH="$PWD/.venv/bin:$PATH"
}
