# tests/cli/serve_nginx.sh — scaling out: two `rustgpt serve` instances
# behind Debian's nginx (a config in a temp dir, nginx in the foreground on
# loopback ports). The server keeps no state between requests, so any
# instance can answer any request; streams pass through unbuffered.
. tests/cli/lib.sh
. tests/cli/serve_lib.sh

NGINX=$(command -v nginx || echo /usr/sbin/nginx)
if [ ! -x "$NGINX" ]; then
    fail "serve_nginx_installed" "apt-get install nginx (.ci/apt-packages)"
    exit 1
fi
train_tiny_model
start_server one --model "$WORK/tiny.bin" || { fail "serve_nginx_first_instance" "$(cat "$WORK/one.log")"; exit 1; }
PID1=$SERVER_PID PORT1=$PORT
start_server two --model "$WORK/tiny.bin" || { fail "serve_nginx_second_instance" "$(cat "$WORK/two.log")"; kill "$PID1"; exit 1; }
PID2=$SERVER_PID PORT2=$PORT

# A free port for nginx: ask the kernel through node.
NPORT=$(node -e 'const s = require("net").createServer().listen(0, "127.0.0.1", () => { console.log(s.address().port); s.close(); })')
mkdir -p "$WORK/nginx/logs"
cat > "$WORK/nginx/nginx.conf" <<CONF
daemon off;
master_process off;
worker_processes 1;
pid $WORK/nginx/nginx.pid;
error_log $WORK/nginx/logs/error.log warn;
events { worker_connections 256; }
http {
    access_log $WORK/nginx/logs/access.log;
    client_body_temp_path $WORK/nginx/body;
    proxy_temp_path $WORK/nginx/proxy;
    fastcgi_temp_path $WORK/nginx/fastcgi;
    uwsgi_temp_path $WORK/nginx/uwsgi;
    scgi_temp_path $WORK/nginx/scgi;
    upstream rustgpt {
        server 127.0.0.1:$PORT1;
        server 127.0.0.1:$PORT2;
    }
    server {
        listen 127.0.0.1:$NPORT;
        location / {
            proxy_pass http://rustgpt;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_buffering off;
            proxy_read_timeout 60s;
        }
    }
}
CONF
"$NGINX" -p "$WORK/nginx" -c "$WORK/nginx/nginx.conf" > "$WORK/nginx/out" 2>&1 &
NGINX_PID=$!
i=0
while [ $i -lt 100 ] && [ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$NPORT/health")" != 200 ]; do
    sleep 0.05
    i=$((i + 1))
done
LB="http://127.0.0.1:$NPORT"
expect_http "nginx_proxies_health" 200 "$LB/health"
ok=0
for i in 1 2 3 4 5 6; do
    curl -s "$LB/v1/chat/completions" -d '{"messages":[{"role":"user","content":"what is ice ?"}],"temperature":0}' |
        grep -q '"content":"ice is frozen water\."' && ok=$((ok + 1))
done
if [ $ok -eq 6 ]; then pass "nginx_answers_every_request"; else fail "nginx_answers_every_request" "$ok of 6"; fi
curl -sN "$LB/v1/chat/completions" -d '{"messages":[{"role":"user","content":"what is ice ?"}],"temperature":0,"stream":true}' > "$WORK/sse"
expect_grep "nginx_passes_sse_streams" "$WORK/sse" '^data: \[DONE\]$'
n1=$(grep -c '"path":"/v1/chat/completions"' "$WORK/one.log")
n2=$(grep -c '"path":"/v1/chat/completions"' "$WORK/two.log")
if [ "$n1" -ge 1 ] && [ "$n2" -ge 1 ]; then pass "nginx_spreads_requests_over_both_instances"
else fail "nginx_spreads_requests_over_both_instances" "instance one $n1, instance two $n2"; fi
kill "$NGINX_PID" 2> /dev/null
wait "$NGINX_PID" 2> /dev/null
kill -TERM "$PID1" "$PID2"
wait "$PID1"; s1=$?
wait "$PID2"; s2=$?
if [ $s1 -eq 0 ] && [ $s2 -eq 0 ]; then pass "both_instances_exit_0"; else fail "both_instances_exit_0" "$s1 $s2"; fi
