#!/usr/bin/env bash
# Schemathesis with every check over every operation, as a complainant and as staff,
# against a live development server on a throwaway SQLite database.
#
#   bench/schemathesis_api.sh [max-examples per operation, default 20] [schemathesis options...]
#
# Prints one summary line per persona (operations, test cases, failures, server errors)
# and each failure's check and count; the full output is kept under $OUT. Exits 1 when
# either persona has a failure or a server error, or schemathesis did not finish.
# Options after the first argument go to `schemathesis run` as they are (for example
# `--include-path-regex evidence` to look at a few operations); PERSONAS="demo" runs one.
set -euo pipefail
cd "$(dirname "$0")/.."
PORT="${PORT:-8781}"
EXAMPLES="${1:-20}"
shift || true
EXTRA=("$@")
PERSONAS="${PERSONAS:-demo admin}"
OUT="${OUT:-/tmp/apicontract-schemathesis}"
PY=.venv/bin/python
export DJANGO_SETTINGS_MODULE=config.settings.local
export DATABASE_URL="sqlite:///$OUT/db.sqlite3" CELERY_BROKER_URL=memory://
export API_THROTTLE_ANON=100000/min API_THROTTLE_USER=100000/min
export API_THROTTLE_TOKEN=100000/min API_THROTTLE_FILING=100000/day
rm -rf "$OUT" && mkdir -p "$OUT"
$PY manage.py migrate -v0
$PY manage.py seed_demo > /dev/null
$PY manage.py runserver "127.0.0.1:$PORT" --noreload > "$OUT/server.log" 2>&1 &
SERVER=$!
trap 'kill $SERVER' EXIT
BASE="http://127.0.0.1:$PORT"
for _ in $(seq 50); do curl -sf "$BASE/healthz" > /dev/null && break; sleep 0.2; done

api() { curl -sf -H "Authorization: Token $1" -H 'Content-Type: application/json' "${@:2}"; }
json() { $PY -c "import json,sys; print(json.load(sys.stdin)$1)"; }
run_as() {
    local user="$1" password="$2" token ids order bundle
    token=$(curl -sf -H 'Content-Type: application/json' \
        -d "{\"username\":\"$user\",\"password\":\"$password\"}" "$BASE/api/v1/auth/token/" | json "['token']")
    order=$(api "$token" -d '{"platform_id":1,"order_number":"2024052199","product_name":"点券","amount":"9.90"}' \
        "$BASE/api/v1/orders/" | json "['id']")
    bundle=$(api "$token" -X POST "$BASE/api/v1/bundles/" | json "['id']")
    ids=$($PY manage.py shell -c "
import json; from django.contrib.auth.models import Group, User
print(json.dumps({'order_id': $order, 'bundle_id': $bundle, 'platform_id': 1,
    'consumer_group_id': Group.objects.order_by('pk').first().pk,
    'assignee_id': User.objects.get(username='admin').pk}))" | tail -1)
    ST_USERNAME="$user" ST_PASSWORD="$password" ST_IDS="$ids" SCHEMATHESIS_HOOKS=bench.schemathesis_hooks \
        PYTHONPATH=. .venv/bin/schemathesis --config-file bench/schemathesis.toml \
        run "$BASE/api/schema/?format=json" --checks all \
        -H "Authorization: Token $token" -H "Accept-Language: en" --max-examples "$EXAMPLES" \
        --seed 1 -w 1 --no-color --report json --report-json-path "$OUT/$user.json" \
        ${EXTRA[@]+"${EXTRA[@]}"} > "$OUT/$user.txt" 2>&1 || true
    $PY - "$user" "$OUT/$user.txt" <<'PYEOF'
import re, sys
user, path = sys.argv[1:]
text = open(path, encoding="utf-8").read()
if "SUMMARY" not in text:
    sys.exit(f"{user}: schemathesis did not finish, see {path}")
tested = re.search(r"Tested: (\d+)", text)
cases = re.search(r"(\d+) generated", text)
failures = re.search(r"found (\d+) unique failures?", text)
server = len(re.findall(r"Server error", text))
print(f"{user}: operations {tested.group(1) if tested else '?'}, test cases "
      f"{cases.group(1) if cases else '?'}, failures {failures.group(1) if failures else 0}, "
      f"server errors {server}")
for line in re.findall(r"❌ (ST\d+ .+)", text):
    print("   ", line)
if not tested or (failures and int(failures.group(1))) or server:
    sys.exit(1)
PYEOF
}
status=0
for persona in $PERSONAS; do
    case "$persona" in
        demo) run_as demo demo-pass-2026 || status=1 ;;
        admin) run_as admin admin-demo-2026 || status=1 ;;
        *) echo "unknown persona $persona (demo or admin)" >&2; status=1 ;;
    esac
done
exit "$status"
