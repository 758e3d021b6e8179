#!/usr/bin/env bash
# gen-certs.sh DIR: a test PKI made with openssl (EC P-256 keys), for TLS tests on 127.0.0.1.
#   ca.pem/ca.key              test CA (trust this one)
#   server.pem/server.key      signed by the CA; SANs IP:127.0.0.1, DNS:localhost
#   expired.pem/expired.key    signed by the CA, same SANs, validity ended in 2020
#   wronghost.pem/.key         signed by the CA, SAN DNS:wrong.example only
#   other-ca.pem/other-ca.key  a second, unrelated CA
#   untrusted.pem/.key         signed by other-ca, SANs IP:127.0.0.1, DNS:localhost
#   client.pem/client.key      client certificate (clientAuth) signed by the CA, for mTLS
# Idempotent: does nothing when every file is present. Safe to run concurrently (flock).
set -euo pipefail
dir=${1:?usage: gen-certs.sh DIR}
mkdir -p "$dir"
chmod 755 "$dir"
exec 9>"$dir/.lock"
flock 9

all=(ca server expired wronghost other-ca untrusted client)
done_already=1
for n in "${all[@]}"; do
    [ -s "$dir/$n.pem" ] && [ -s "$dir/$n.key" ] || done_already=0
done
[ "$done_already" -eq 1 ] && exit 0

work=$(mktemp -d "$dir/.gen.XXXXXX")
trap 'rm -rf "$work"' EXIT
cd "$work"

key() { openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1.key" 2>/dev/null; }

# ca NAME CN: self-signed CA certificate.
ca() {
    key "$1"
    openssl req -x509 -new -key "$1.key" -out "$1.pem" -days 3650 -subj "/CN=$2" \
        -addext "basicConstraints=critical,CA:TRUE" \
        -addext "keyUsage=critical,keyCertSign,cRLSign" \
        -addext "subjectKeyIdentifier=hash" 2>/dev/null
}

# leaf NAME ISSUER CN EKU SAN [STARTDATE ENDDATE]: a certificate signed by ISSUER with `openssl ca`
# (which, unlike `x509 -req` in OpenSSL 3.0, accepts explicit start and end dates).
leaf() {
    local name=$1 issuer=$2 cn=$3 eku=$4 san=$5 start=${6:-} end=${7:-}
    key "$name"
    openssl req -new -key "$name.key" -out "$name.csr" -subj "/CN=$cn" 2>/dev/null
    rm -rf db && mkdir db && : >db/index.txt && echo 1000 >db/serial
    {
        echo "[ca]"
        echo "default_ca = ca_section"
        echo "[ca_section]"
        echo "database = db/index.txt"
        echo "serial = db/serial"
        echo "new_certs_dir = db"
        echo "default_md = sha256"
        echo "policy = policy_any"
        echo "unique_subject = no"
        echo "copy_extensions = none"
        echo "[policy_any]"
        echo "commonName = supplied"
        echo "[ext]"
        echo "basicConstraints = critical,CA:FALSE"
        echo "keyUsage = critical,digitalSignature,keyEncipherment"
        echo "extendedKeyUsage = $eku"
        echo "authorityKeyIdentifier = keyid"
        [ -n "$san" ] && echo "subjectAltName = $san"
    } >ca.cnf
    local dates=(-days 3650)
    [ -n "$start" ] && dates=(-startdate "$start" -enddate "$end")
    openssl ca -batch -config ca.cnf -extensions ext -cert "$issuer.pem" -keyfile "$issuer.key" \
        -in "$name.csr" -out "$name.pem" -notext "${dates[@]}" 2>/dev/null
    rm -f "$name.csr"
}

ca ca "h2o test CA"
ca other-ca "h2o other (untrusted) CA"
leaf server ca 127.0.0.1 serverAuth "IP:127.0.0.1,DNS:localhost"
leaf expired ca 127.0.0.1 serverAuth "IP:127.0.0.1,DNS:localhost" 20200101000000Z 20200201000000Z
leaf wronghost ca wrong.example serverAuth "DNS:wrong.example"
leaf untrusted other-ca 127.0.0.1 serverAuth "IP:127.0.0.1,DNS:localhost"
leaf client ca "h2o test client" clientAuth ""

chmod 644 ./*.pem ./*.key
for n in "${all[@]}"; do mv -f "$n.pem" "$n.key" "$dir/"; done
