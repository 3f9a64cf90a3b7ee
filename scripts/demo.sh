#!/usr/bin/env bash
# make demo: a backend and nginx with the module on loopback, real tickets
# minted with ticketctl, and the outcomes a platform engineer checks first.
# Everything lives in build/demo; `make demo-stop` stops it.
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
demo="$top/build/demo"
gw_port=${DEMO_PORT:-8080}
be_port=${DEMO_BACKEND_PORT:-8081}
redis_port=${DEMO_REDIS_PORT:-6390}
nginx=${TICKET_NGINX:-/usr/sbin/nginx}
module="$top/build/nginx/objs/ngx_http_ticket_module.so"
ctl="$top/build/ticketctl"

stop() {
    for d in gateway backend; do
        if [ -f "$demo/$d/logs/nginx.pid" ]; then
            kill -QUIT "$(cat "$demo/$d/logs/nginx.pid")" 2>/dev/null || true
        fi
    done
    for d in gateway backend; do
        for _ in $(seq 50); do
            [ -f "$demo/$d/logs/nginx.pid" ] || break
            kill -0 "$(cat "$demo/$d/logs/nginx.pid")" 2>/dev/null || break
            sleep 0.1
        done
        rm -f "$demo/$d/logs/nginx.pid"
    done
    if [ -f "$demo/redis/redis.pid" ]; then
        pid=$(cat "$demo/redis/redis.pid")
        kill "$pid" 2>/dev/null || true
        for _ in $(seq 50); do
            kill -0 "$pid" 2>/dev/null || break
            sleep 0.1
        done
        rm -f "$demo/redis/redis.pid"
    fi
}

if [ "${1:-}" = stop ]; then
    stop
    echo "demo stopped"
    exit 0
fi

stop
rm -rf "$demo"
mkdir -p "$demo/gateway/logs" "$demo/backend/logs" "$demo/redis"
chmod 755 "$demo" "$demo/gateway" "$demo/backend"

cat > "$demo/backend/nginx.conf" <<EOF
error_log logs/error.log;
pid logs/nginx.pid;
events {}
http {
    access_log off;
    server {
        listen 127.0.0.1:$be_port;
        default_type text/plain;
        location / {
            return 200 "backend: \$request_uri for sub=\$http_x_ticket_sub roles=\$http_x_ticket_roles\n";
        }
    }
}
EOF

echo "== keys: ticketctl keygen (Ed25519)"
"$ctl" keygen --alg EdDSA --kid demo-1 --out "$demo/keys"
chmod 755 "$demo/keys"

cat > "$demo/gateway/nginx.conf" <<EOF
load_module $module;
error_log logs/error.log info;
pid logs/nginx.pid;
events {}
http {
    log_format ticket '\$status \$request_method \$uri '
                      'decision=\$ticket_decision reason=\$ticket_reason '
                      'sub=\$ticket_sub roles=\$ticket_roles';
    access_log logs/access.log ticket;

    ticket_keys $demo/keys/demo-1.jwks;
    ticket_redis 127.0.0.1:$redis_port;

    server {
        listen 127.0.0.1:$gw_port;

        location /api/ {
            ticket user;
            ticket_set_header X-Ticket-Sub sub;
            ticket_set_header X-Ticket-Roles roles;
            proxy_pass http://127.0.0.1:$be_port;
        }

        location /admin/ {
            ticket user;
            ticket_require_role admin;
            ticket_set_header X-Ticket-Sub sub;
            proxy_pass http://127.0.0.1:$be_port;
        }
    }
}
EOF

redis-server --port "$redis_port" --bind 127.0.0.1 --save '' \
    --appendonly no --dir "$demo/redis" --daemonize yes \
    --pidfile "$demo/redis/redis.pid" --logfile "$demo/redis/redis.log"
for _ in $(seq 50); do
    [ "$(redis-cli -p "$redis_port" ping 2>/dev/null)" = PONG ] && break
    sleep 0.1
done
[ "$(redis-cli -p "$redis_port" ping 2>/dev/null)" = PONG ] \
    || { echo "demo: redis-server did not start on port $redis_port" >&2; exit 2; }
"$nginx" -p "$demo/backend" -c "$demo/backend/nginx.conf"
"$nginx" -p "$demo/gateway" -c "$demo/gateway/nginx.conf"

for _ in $(seq 100); do
    curl -s -o /dev/null "http://127.0.0.1:$gw_port/" && break
    sleep 0.05
done

key="$demo/keys/demo-1.key"
alice=$("$ctl" mint --key "$key" --kid demo-1 --sub alice --kind user \
        --roles reader,writer --ttl 10m --jti "alice-$(date +%s%N)")
old=$("$ctl" mint --key "$key" --kid demo-1 --sub alice --kind user \
      --roles reader --iat $(( $(date +%s) - 7200 )) \
      --exp $(( $(date +%s) - 3600 )))

show() {
    local title=$1 ticket=$2 url=$3
    echo
    echo "== $title"
    if [ -n "$ticket" ]; then
        echo "\$ curl -si -H 'Authorization: Bearer \$TICKET' $url"
        curl -si -H "Authorization: Bearer $ticket" "$url"
    else
        echo "\$ curl -si $url"
        curl -si "$url"
    fi | tr -d '\r' \
       | sed -E '/^(Server|Date|Content-Length|Connection|Content-Type):/d; /^</d; /^$/d'
    sleep 0.2
    echo "access.log: $(tail -n 1 "$demo/gateway/logs/access.log")"
}

api="http://127.0.0.1:$gw_port/api/orders"
admin="http://127.0.0.1:$gw_port/admin/users"

show "allowed: alice's ticket reaches the backend" "$alice" "$api"
show "401: no ticket" "" "$api"
show "401: an expired ticket" "$old" "$api"
show "403: a valid ticket without the admin role" "$alice" "$admin"

echo
echo "== revoke alice's ticket (a lost phone): every worker refuses it at once"
exp=$("$ctl" inspect "$alice" | sed -n 's/^ *"exp": \([0-9]*\).*/\1/p' | head -1)
jti=$("$ctl" inspect "$alice" | sed -n 's/^ *"jti": "\(.*\)",*$/\1/p' | head -1)
echo "\$ ticketctl revoke --redis 127.0.0.1:$redis_port --jti $jti --exp $exp --reason 'phone lost'"
"$ctl" revoke --redis "127.0.0.1:$redis_port" --jti "$jti" \
    --exp "$exp" --reason "phone lost"
sleep 0.1
show "401: the revoked ticket" "$alice" "$api"

cat <<EOF

The demo keeps running:
  gateway  http://127.0.0.1:$gw_port  (config $demo/gateway/nginx.conf)
  backend  http://127.0.0.1:$be_port
  redis    127.0.0.1:$redis_port  ($ctl revoke --redis 127.0.0.1:$redis_port --list)
  ticket   $ctl mint --key $key --kid demo-1 --sub bob --kind user --roles admin
Stop it with: make demo-stop
EOF
