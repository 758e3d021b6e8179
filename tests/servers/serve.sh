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
    server {
        $listen
        server_name localhost;
        root $www;
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
      /:
        file.dir: $www
CONF
    exec h2o -c "$work/h2o.conf"
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
    cat >"$work/apache2.conf" <<CONF
ServerRoot $work
DefaultRuntimeDir $work
PidFile $work/apache2.pid
ErrorLog $work/error.log
LogLevel warn
LoadModule mpm_event_module $mods/mod_mpm_event.so
LoadModule authz_core_module $mods/mod_authz_core.so
LoadModule http2_module $mods/mod_http2.so
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
