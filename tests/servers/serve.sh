#!/usr/bin/env bash
# serve.sh SERVER MODE PORT WORKDIR
#   SERVER: nginx | h2o | nghttpd | apache2      MODE: h2c (prior knowledge) | tls (ALPN h2)
# Writes the server's config into WORKDIR (created), serves WORKDIR/www (made by make-docroot.sh
# unless it already exists, e.g. as a symlink to a shared docroot) on 127.0.0.1:PORT, and execs
# the server in the FOREGROUND: the pid of this script becomes the server's (master) pid, so a
# test can kill it (best: its whole process group). TLS uses WORKDIR/certs (gen-certs.sh) unless
# CERTS_DIR is set; server.pem/server.key are served.
# Logs: WORKDIR/error.log (and access.log where the server has one).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
usage() { echo "usage: serve.sh nginx|h2o|nghttpd|apache2 h2c|tls PORT WORKDIR" >&2; exit 2; }
[ $# -eq 4 ] || usage
server=$1 mode=$2 port=$3
case "$mode" in h2c | tls) ;; *) usage ;; esac
mkdir -p "$4"
work=$(cd "$4" && pwd)
chmod 755 "$work"
www=$work/www
[ -e "$www" ] || "$here/make-docroot.sh" "$www"
certs=${CERTS_DIR:-$work/certs}
if [ "$mode" = tls ]; then "$here/gen-certs.sh" "$certs"; fi
cert=$certs/server.pem key=$certs/server.key

# Interop endpoints (besides the static docroot), where the server can do them:
#   /204         204 No Content
#   /bigheaders  200 "Hello, world!" with 64 response headers x-big-00..x-big-63 of 1000 bytes each
#                (~66 KB of header list)
#   /upload      POST: reads the whole body and answers 200 "len=N sha1=HEX" (h2o, apache2; nginx
#                answers 200 "ok" without reading it, then RST_STREAM NO_ERROR; apache2's mod_lua
#                reads nothing of a body without content-length: "len=0")
#   /put/NAME    PUT: stores the body in WORKDIR/put/NAME (WebDAV: nginx, apache2); GET reads it back
big_value=$(printf 'v%.0s' $(seq 1000))
big_headers() { # $1: printf format taking the header index (two digits) and the value
    local i
    for i in $(seq -w 0 63); do printf "$1" "$i" "$big_value"; done
}
mkdir -p "$work/put" "$work/davlock"
chmod 777 "$work/put" "$work/davlock"

need() {
    command -v "$1" >/dev/null 2>&1 || [ -x "$1" ] || {
        echo "serve.sh: $1 not installed: run make deps" >&2
        exit 127
    }
}

case "$server" in
nginx)
    need nginx
    mkdir -p "$work/tmp"
    if [ "$mode" = tls ]; then
        listen="listen 127.0.0.1:$port ssl http2;
        ssl_certificate $cert;
        ssl_certificate_key $key;
        ssl_protocols TLSv1.2 TLSv1.3;"
    else
        listen="listen 127.0.0.1:$port http2;"
    fi
    cat >"$work/nginx.conf" <<CONF
user root;
worker_processes 1;
pid $work/nginx.pid;
error_log $work/error.log warn;
events { worker_connections 1024; }
http {
    access_log $work/access.log;
    client_body_temp_path $work/tmp/client;
    proxy_temp_path $work/tmp/proxy;
    fastcgi_temp_path $work/tmp/fastcgi;
    uwsgi_temp_path $work/tmp/uwsgi;
    scgi_temp_path $work/tmp/scgi;
    default_type application/octet-stream;
    sendfile on;
    # Caching open fds: ~1.5-2x small-file throughput here (fewer syscalls per request).
    open_file_cache max=1000 inactive=60s;
    keepalive_requests 1000000;
    http2_max_concurrent_streams 128;
    client_max_body_size 200m;
    server {
        $listen
        server_name localhost;
        root $www;
        location = /204 { return 204; }
        location = /bigheaders {
$(big_headers '            add_header x-big-%s "%s";\n')
            return 200 "Hello, world!";
        }
        location = /upload { return 200 "ok"; }
        location /put/ {
            root $work;
            dav_methods PUT;
            client_body_buffer_size 1m;
        }
    }
}
CONF
    exec nginx -p "$work" -e "$work/error.log" -c "$work/nginx.conf" -g 'daemon off;'
    ;;
h2o)
    need h2o
    if [ "$mode" = tls ]; then
        listen="listen:
  host: 127.0.0.1
  port: $port
  ssl:
    certificate-file: $cert
    key-file: $key
    ocsp-update-interval: 0"
    else
        listen="listen:
  host: 127.0.0.1
  port: $port"
    fi
    # No pid-file: h2o cannot write one after dropping privileges; this script's pid is h2o's.
    cat >"$work/h2o.conf" <<CONF
$listen
user: root
num-threads: 1
error-log: $work/error.log
access-log: $work/access.log
hosts:
  default:
    paths:
      /204:
        mruby.handler: |
          Proc.new do |env|
            [204, {}, []]
          end
      /bigheaders:
        mruby.handler: |
          Proc.new do |env|
            h = {"content-type" => "text/plain"}
            64.times { |i| h["x-big-#{i < 10 ? "0" : ""}#{i}"] = "v" * 1000 }
            [200, h, ["Hello, world!"]]
          end
      /upload:
        mruby.handler: |
          Proc.new do |env|
            body = env["rack.input"].read
            [200, {"content-type" => "text/plain"}, ["len=#{body.bytesize} sha1=#{Digest::SHA1.hexdigest(body)}"]]
          end
      /:
        file.dir: $www
CONF
    exec h2o -m master -c "$work/h2o.conf"
    ;;
nghttpd)
    need nghttpd
    if [ "$mode" = tls ]; then
        exec nghttpd -a 127.0.0.1 -n 1 -d "$www" "$port" "$key" "$cert" 2>>"$work/error.log"
    else
        exec nghttpd -a 127.0.0.1 -n 1 -d "$www" --no-tls "$port" 2>>"$work/error.log"
    fi
    ;;
apache2)
    need apache2
    mods=/usr/lib/apache2/modules
    if [ "$mode" = tls ]; then
        proto="LoadModule ssl_module $mods/mod_ssl.so
LoadModule socache_shmcb_module $mods/mod_socache_shmcb.so
SSLSessionCache shmcb:$work/ssl_scache(512000)
SSLEngine on
SSLCertificateFile $cert
SSLCertificateKeyFile $key
SSLProtocol -all +TLSv1.2 +TLSv1.3
Protocols h2 http/1.1"
    else
        proto="Protocols h2c http/1.1
H2Direct on"
    fi
    cat >"$work/interop.lua" <<'LUA'
function no_content(r)
    r.status = 204
    return apache2.OK
end
function big_headers(r)
    for i = 0, 63 do
        r.headers_out[string.format("x-big-%02d", i)] = string.rep("v", 1000)
    end
    r.content_type = "text/plain"
    r:puts("Hello, world!")
    return apache2.OK
end
function upload(r)
    local body = r:requestbody() or ""
    r.content_type = "text/plain"
    r:puts(string.format("len=%d sha1=%s", #body, r:sha1(body)))
    return apache2.OK
end
LUA
    cat >"$work/apache2.conf" <<CONF
ServerRoot $work
DefaultRuntimeDir $work
PidFile $work/apache2.pid
ErrorLog $work/error.log
LogLevel warn
LoadModule mpm_event_module $mods/mod_mpm_event.so
LoadModule authz_core_module $mods/mod_authz_core.so
LoadModule http2_module $mods/mod_http2.so
LoadModule lua_module $mods/mod_lua.so
LoadModule alias_module $mods/mod_alias.so
LoadModule dav_module $mods/mod_dav.so
LoadModule dav_fs_module $mods/mod_dav_fs.so
User www-data
Group www-data
Listen 127.0.0.1:$port
ServerName 127.0.0.1
StartServers 1
ServerLimit 2
ThreadsPerChild 32
MaxRequestWorkers 64
MinSpareThreads 8
MaxSpareThreads 64
KeepAlive On
MaxKeepAliveRequests 0
H2MaxSessionStreams 128
LimitRequestBody 209715200
LuaMapHandler ^/204\$ $work/interop.lua no_content
LuaMapHandler ^/bigheaders\$ $work/interop.lua big_headers
LuaMapHandler ^/upload\$ $work/interop.lua upload
DavLockDB $work/davlock/db
Alias /put/ $work/put/
<Directory $work/put>
    Require all granted
    Dav On
</Directory>
LogFormat "%h %t \"%r\" %>s %b %{H2_STREAM_ID}e" h2
CustomLog $work/access.log h2
DocumentRoot $www
<Directory />
    Require all denied
</Directory>
<Directory $www>
    Require all granted
</Directory>
$proto
CONF
    exec apache2 -DFOREGROUND -d "$work" -f "$work/apache2.conf"
    ;;
*) usage ;;
esac
