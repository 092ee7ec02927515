#!/bin/sh
# The image's entrypoint; .ci/deploy-checks and tests/deploy/ run it on a host too.
#
# No arguments: serve the panel. Wait for the database, migrate (which runs the system checks),
# create the first admin if CATCPANEL_ADMIN_USER asks for one, seed the demo if asked, then exec
# gunicorn so that it receives SIGTERM itself and shuts down gracefully.
#
# Arguments (`docker run -it IMAGE python manage.py createsuperuser`): prepare the same environment
# (data folder, SECRET_KEY) and exec them instead, with no waiting and no migrations.
#
# `worker`: the background worker (usage history, notifications) instead of the web server.
set -eu

cd "$(dirname "$0")/.."

# What the panel writes in its data folder (database, keys, cache) is readable by it alone.
umask 077

# The spellings django-environ reads as true, so the two agree.
is_true() {
    case "$(printf '%s' "${1:-}" | tr '[:upper:]' '[:lower:]')" in
        true | on | ok | y | yes | 1) return 0 ;;
        *) return 1 ;;
    esac
}

export CATCPANEL_DATA_DIR="${CATCPANEL_DATA_DIR:-$PWD/var}"
if ! mkdir -p "$CATCPANEL_DATA_DIR" 2>/dev/null || [ ! -w "$CATCPANEL_DATA_DIR" ]; then
    echo "catcpanel: cannot write to the data folder $CATCPANEL_DATA_DIR as uid $(id -u)." \
        "With a bind mount, give the folder to that uid on the host (chown $(id -u))." >&2
    exit 1
fi

# A secret given as NAME_FILE (Docker secrets) that names no readable file would stop Django with
# a traceback; say which one, in a sentence. Only the panel's own names: other programs' *_FILE
# variables (TF_CLI_CONFIG_FILE, ...) are none of its business.
for name in $(env | sed -n 's/^\([A-Za-z_][A-Za-z0-9_]*_FILE\)=.*/\1/p'); do
    case "$name" in
        CATCPANEL_*_FILE | SECRET_KEY_FILE | DATABASE_URL_FILE | REDIS_URL_FILE | CACHE_URL_FILE | \
            EMAIL_URL_FILE) ;;
        *) continue ;;
    esac
    eval "path=\${$name:-}"
    if [ -n "$path" ] && [ ! -r "$path" ]; then
        echo "catcpanel: $name names $path, which uid $(id -u) cannot read." >&2
        exit 1
    fi
done

# With DEBUG off the settings require a SECRET_KEY: unless one is given, make one once and keep it
# beside the database, so that sessions survive a restart or an upgrade of the container.
if [ -z "${SECRET_KEY:-}" ] && [ -z "${SECRET_KEY_FILE:-}" ]; then
    secret_key_file="$CATCPANEL_DATA_DIR/secret_key"
    if [ ! -s "$secret_key_file" ]; then
        candidate="$secret_key_file.$$"
        python -c 'import secrets; print(secrets.token_urlsafe(50), end="")' >"$candidate"
        # `ln` refuses to replace an existing file: when two containers start on one volume, the
        # first key written wins and both use it. `mv` is for file systems without hard links.
        ln "$candidate" "$secret_key_file" 2>/dev/null ||
            [ -s "$secret_key_file" ] ||
            mv "$candidate" "$secret_key_file"
        rm -f "$candidate"
        echo "catcpanel: generated a SECRET_KEY in $secret_key_file."
    fi
    export SECRET_KEY_FILE="$secret_key_file"
fi

case "${1:-}" in
worker)
    # The background worker (usage history, notifications): a Huey consumer beside the web
    # process, on the same database and data folder. The web process migrates: wait for it.
    shift
    python manage.py wait_for_db --timeout 60
    waited=0
    until python manage.py migrate --check >/dev/null 2>&1; do
        if [ "$waited" -ge "${CATCPANEL_WORKER_MIGRATE_WAIT:-300}" ]; then
            echo "catcpanel: the database is not migrated; start the panel first." >&2
            exit 1
        fi
        sleep 2
        waited=$((waited + 2))
    done
    exec python manage.py run_huey "$@"
    ;;
esac

if [ "$#" -gt 0 ]; then
    exec "$@"
fi

python manage.py wait_for_db --timeout 60
python manage.py migrate --no-input
python manage.py bootstrap_admin
if is_true "${CATCPANEL_DEMO:-}"; then
    if is_true "${CATCPANEL_SANDBOX:-}"; then
        python manage.py seed_demo
    else
        echo "catcpanel: CATCPANEL_DEMO needs CATCPANEL_SANDBOX=true as well; no demo seeded." >&2
    fi
fi

# The admin exists now: the server has no business holding that password in its environment.
unset CATCPANEL_ADMIN_PASSWORD

# Heartbeat files on an overlay file system can stall workers (gunicorn's docs): use memory.
if [ -d /dev/shm ] && [ -w /dev/shm ]; then
    set -- "$@" --worker-tmp-dir /dev/shm
fi
# gunicorn 25.1+ opens a control socket under $HOME by default; the panel has no use for it, and
# replicas sharing a home folder would trip over each other's.
if gunicorn --help 2>/dev/null | grep -q -- '--no-control-socket'; then
    set -- "$@" --no-control-socket
fi

exec gunicorn catcpanel.wsgi \
    --bind "${GUNICORN_BIND:-0.0.0.0:${PORT:-8000}}" \
    --workers "${GUNICORN_WORKERS:-2}" \
    --threads "${GUNICORN_THREADS:-4}" \
    --timeout "${GUNICORN_TIMEOUT:-60}" \
    --graceful-timeout "${GUNICORN_GRACEFUL_TIMEOUT:-8}" \
    --access-logfile - \
    --error-logfile - \
    "$@"
