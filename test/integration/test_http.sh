#!/usr/bin/env bash
# The board's http app seen by the kernel's curl: /bytes/N is exactly N bytes
# of the chargen stream, / is a page naming the board profile, unknown paths
# are 404, and HEAD gives the headers (Content-Length) without a body.
source "$(dirname "$0")/lib.sh"
command -v curl >/dev/null || bn_skip "no curl"
command -v python3 >/dev/null || bn_skip "no python3"
bn_make_net
bn_start_board --ip 192.0.2.2/24 --app http
board=$(sed -nE 's/^boardnet: board ([^ ]+) up on tap.*/\1/p' "$BN_TMP/board.log")
[ -n "$board" ] || { bn_board_output; bn_fail "no board name in the up line"; }

# curl URL-PATH OUTFILE [curl options...]: prints the HTTP status code.
get() {
  local path=$1 out=$2; shift 2
  timeout 30 ip netns exec "$BN_NS" curl -sS --max-time 20 --connect-timeout 5 -o "$out" \
    -D "$out.head" -w '%{http_code}' "$@" "http://192.0.2.2$path" 2>"$BN_TMP/curl.err" ||
    { cat "$BN_TMP/curl.err"; bn_board_output; bn_fail "curl $* $path failed"; }
}

# /bytes/1000000: length and content.
code=$(get /bytes/1000000 "$BN_TMP/bytes")
[ "$code" = 200 ] || bn_fail "/bytes/1000000: status $code, expected 200"
len=$(stat -c %s "$BN_TMP/bytes")
[ "$len" = 1000000 ] || bn_fail "/bytes/1000000: got $len bytes"
python3 "$(dirname "$0")/chargen.py" 1000000 >"$BN_TMP/expected"
want=$(sha256sum <"$BN_TMP/expected" | cut -d' ' -f1)
got=$(sha256sum <"$BN_TMP/bytes" | cut -d' ' -f1)
[ "$want" = "$got" ] || bn_fail "/bytes/1000000 is not the chargen stream: $(cmp "$BN_TMP/expected" "$BN_TMP/bytes" 2>&1 | head -1)"
grep -qi '^content-length: 1000000' "$BN_TMP/bytes.head" || { cat "$BN_TMP/bytes.head"; bn_fail "/bytes/1000000: no Content-Length 1000000"; }
echo "/bytes/1000000: 1000000 bytes of chargen, sha256 $got"

# /: the page names the profile.
code=$(get / "$BN_TMP/page")
[ "$code" = 200 ] || bn_fail "/: status $code, expected 200"
grep -q "Board profile <b>$board</b>" "$BN_TMP/page" || { cat "$BN_TMP/page"; bn_fail "/: the page does not name board profile $board"; }
page_len=$(stat -c %s "$BN_TMP/page")
grep -qi "^content-length: $page_len" "$BN_TMP/page.head" || { cat "$BN_TMP/page.head"; bn_fail "/: Content-Length is not $page_len"; }
echo "/: 200, $page_len bytes, names profile $board"

# Unknown path: 404.
code=$(get /no/such/page "$BN_TMP/missing")
[ "$code" = 404 ] || bn_fail "/no/such/page: status $code, expected 404"
echo "/no/such/page: 404"

# HEAD: headers only.
code=$(get /bytes/12345 "$BN_TMP/head" -I)
[ "$code" = 200 ] || bn_fail "HEAD /bytes/12345: status $code, expected 200"
grep -qi '^content-length: 12345' "$BN_TMP/head.head" || { cat "$BN_TMP/head.head"; bn_fail "HEAD: no Content-Length 12345"; }
# curl never reads a body after HEAD, so check the raw answer: it must end
# with the blank line that ends the headers.
if command -v socat >/dev/null; then
  printf 'HEAD /bytes/12345 HTTP/1.0\r\n\r\n' |
    timeout 30 ip netns exec "$BN_NS" socat -t 20 -T 20 - TCP:192.0.2.2:80,connect-timeout=5 \
    >"$BN_TMP/raw-head" 2>"$BN_TMP/socat.err" || { cat "$BN_TMP/socat.err"; bn_fail "raw HEAD failed"; }
  head -1 "$BN_TMP/raw-head" | grep -q '^HTTP/1\.[01] 200' || { cat "$BN_TMP/raw-head"; bn_fail "raw HEAD: no 200 status line"; }
  [ "$(tail -c 4 "$BN_TMP/raw-head" | od -An -tx1 | tr -d ' \n')" = 0d0a0d0a ] ||
    { cat -A "$BN_TMP/raw-head" | head -20; bn_fail "HEAD: bytes follow the headers"; }
fi
echo "HEAD /bytes/12345: 200, Content-Length 12345, no body"

bn_stop_board
