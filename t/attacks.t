#!/usr/bin/perl
# Hand-built hostile tickets: alg none and alg confusion, kid games,
# untrusted key headers and crit, ES256 signature encodings, size and
# nesting bombs, control bytes and bad UTF-8, duplicate members, claim
# types, non-canonical base64url, segment counts, missing claims, tenant
# binding.  Every refusal is a 401 with the exact $ticket_reason (read
# from the access log), an invalid_token challenge, and a response that
# never echoes the ticket.

use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use MIME::Base64 qw(encode_base64);
use Digest::SHA qw(hmac_sha256);
use TicketTest qw(b64url b64url_decode hs_token json_str);

my $t = TicketTest->new;

# ---- keys ----------------------------------------------------------------

my $secret = 'attacks-hs1-secret-0123456789abcdefghijklmnop';   # 45 bytes
my $tsecret = 'attacks-tenant-acme-secret-0123456789abcdefgh';
$t->write_file('hs.secret', $secret, 0600);
$t->write_file('t.secret', "$tsecret\n", 0600);    # trailing newline stripped

my $rs = $t->keygen('RS256', 'rs1');
my $es = $t->keygen('ES256', 'es1');
my $es2 = $t->keygen('ES256', 'es2');                # never configured

$t->start(<<'EOF');
    large_client_header_buffers 4 128k;
    log_format t '$uri $status $ticket_reason $ticket_verified';
    server {
        listen 127.0.0.1:%%PORT%%;
        access_log %%DIR%%/logs/t.log t;

        location /x/ {
            ticket user;
            ticket_key hs1 HS256 %%DIR%%/hs.secret;
            ticket_key rs1 RS256 %%DIR%%/keys/rs1.pub;
            ticket_keys %%DIR%%/keys/es1.jwks;
            proxy_pass http://127.0.0.1:%%PORT:backend%%;
        }

        location /t/ {
            ticket user;
            ticket_key t1 HS256 %%DIR%%/t.secret tenant=acme;
            proxy_pass http://127.0.0.1:%%PORT:backend%%;
        }
    }
    server {
        listen 127.0.0.1:%%PORT:backend%%;
        location / {
            return 200 "backend $request_uri\n";
        }
    }
EOF

# ---- building blocks -----------------------------------------------------

my $now = time;
my $HS = '{"alg":"HS256","kid":"hs1"}';

# claims JSON text: the five required claims, then @extra raw members;
# %o overrides a required one's raw JSON value, or drops it when undef
sub claims {
    my ($extra, %o) = @_;
    my %v = (sub => '"alice"', kind => '"user"', jti => '"j-attack"',
             iat => $now, exp => $now + 600);
    my @m;
    for my $k (qw(sub kind jti iat exp)) {
        my $val = exists $o{$k} ? $o{$k} : $v{$k};
        push @m, qq{"$k":$val} if defined $val;
    }
    push @m, @{$extra // []};
    return '{' . join(',', @m) . '}';
}

# HS256 over raw header / claims text with the configured secret
sub hs { my ($h, $c, $s) = @_; return hs_token($h, $c, $s // $secret) }

# a ticket from literal segment texts, HMAC-signed over exactly them
sub hs_raw {
    my ($hseg, $cseg, $s) = @_;
    my $in = "$hseg.$cseg";
    return "$in." . b64url(hmac_sha256($in, $s // $secret));
}

my $good = hs($HS, claims());

# ---- ES256 signatures ----------------------------------------------------

my $P256_N = pack 'H*',
    'FFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551';
my $ES_IN = b64url('{"alg":"ES256","kid":"es1"}') . '.' . b64url(claims());

$t->write_file('es.in', $ES_IN);
my ($rc, undef, $err) = $t->run_cmd('openssl', 'dgst', '-sha256', '-sign',
                                    $es->{key}, '-out', $t->dir . '/es.der',
                                    $t->dir . '/es.in');
die "openssl dgst -sign failed: $err" if $rc != 0;
my $der = $t->read_file('es.der');

# DER SEQUENCE { INTEGER r, INTEGER s } -> raw r || s, 32 bytes each
sub der_to_raw {
    my ($d) = @_;
    my ($tag, $len, $rest) = unpack 'C C a*', $d;
    die "not a DER sequence\n" unless $tag == 0x30;
    my @int;
    for (1 .. 2) {
        my ($it, $il) = unpack 'C C', $rest;
        die "not a DER integer\n" unless $it == 0x02;
        my $v = substr $rest, 2, $il;
        $rest = substr $rest, 2 + $il;
        $v =~ s/^\x00+//;
        push @int, ("\x00" x (32 - length $v)) . $v;
    }
    return $int[0] . $int[1];
}

my $raw = der_to_raw($der);
my $es_good = "$ES_IN." . b64url($raw);
my $es_other = $t->mint(key => $es2->{key}, kid => 'es1', sub => 'alice',
                        kind => 'user');
my $rs_good = $t->mint(key => $rs->{key}, kid => 'rs1', sub => 'alice',
                       kind => 'user');
my $es_minted = $t->mint(key => $es->{key}, kid => 'es1', sub => 'alice',
                         kind => 'user');

# ---- exact sizes ---------------------------------------------------------

# a valid HS256 ticket of exactly $size characters
sub sized {
    my ($size) = @_;
    for my $sp (0 .. 3) {
        my $h = '{"alg":"HS256","kid":"hs1"' . (' ' x $sp) . '}';
        my $base = length(hs($h, claims(['"pad":""'])));
        my $est = int(($size - $base) * 3 / 4);
        for my $n ($est - 8 .. $est + 8) {
            next if $n < 0;
            my $tok = hs($h, claims(['"pad":"' . ('p' x $n) . '"']));
            return $tok if length $tok == $size;
        }
    }
    die "no ticket of size $size\n";
}

# ---- nesting -------------------------------------------------------------

# a deep ticket must fail for its depth, not its size
sub under16k {
    die "ticket of " . length($_[0]) . " bytes is over 16 KiB\n"
        if length $_[0] > 16384;
    return $_[0];
}

# claims whose total nesting (the claims object counts as 1) is $d
sub nested {
    my ($d) = @_;
    return claims(['"a":' . ('[' x ($d - 1)) . (']' x ($d - 1))]);
}

# ---- non-canonical base64 ------------------------------------------------

sub std_b64 { my $s = encode_base64($_[0], ''); return $s }

# short strings of printable characters at each alignment
sub fillers {
    my @f;
    for my $p (0 .. 2) {
        for my $o (0x21 .. 0x7e) {
            my $c = chr $o;
            next if $c eq '"' || $c eq '\\';
            push @f, ('a' x $p) . ($c x 3);
        }
    }
    return @f;
}

# a header text whose standard base64 holds $ch ('+' or '/')
sub header_with {
    my ($ch) = @_;
    for my $f (fillers()) {
        my $h = qq{{"alg":"HS256","kid":"hs1","typ":"$f"}};
        return $h if std_b64($h) =~ /\Q$ch\E/;
    }
    die "no header with $ch\n";
}

sub claims_with {
    my ($ch) = @_;
    for my $f (fillers()) {
        my $c = claims([qq{"x":"$f"}]);
        return $c if std_b64($c) =~ /\Q$ch\E/;
    }
    die "no claims with $ch\n";
}

# padded: a text whose length is not a multiple of 3, with its '='
sub padded {
    my ($json, $mk) = @_;
    for my $i (0 .. 5) {
        my $j = $mk->($i);
        return std_b64($j) if length($j) % 3;
    }
    die "no padded text\n";
}

# non-zero unused trailing bits: same bytes under a lenient decoder
sub noncanon {
    my ($seg) = @_;
    my $al = join '', 'A' .. 'Z', 'a' .. 'z', '0' .. '9', '-', '_';
    die "segment has no unused bits\n" unless length($seg) % 4;
    my $last = substr $seg, -1;
    my $i = index $al, $last;
    substr($seg, -1) = substr $al, $i ^ 1, 1;
    return $seg;
}

my $hplus = header_with('+');
die "header_with\n" unless std_b64($hplus) =~ /\+/ && b64url($hplus) !~ /\+/;
my $hslash = header_with('/');
my $cplus = claims_with('+');
my $cslash = claims_with('/');
my $cseg = b64url(claims());
my $hseg = b64url($HS);

my $hpad = padded($HS, sub { '{"alg":"HS256","kid":"hs1"' . (' ' x $_[0]) . '}' });
my $cpad = padded(undef, sub { claims([qq{"x":"} . ('y' x $_[0]) . '"']) });

my ($cnc, $ccanon);
for my $i (0 .. 5) {
    my $c = claims([qq{"x":"} . ('y' x $i) . '"']);
    next unless length($c) % 3;
    $ccanon = b64url($c);
    $cnc = noncanon($ccanon);
    last;
}

# ---- the cases -----------------------------------------------------------

my @cases;
sub deny  { my ($n, $tok, $why, $loc) = @_;
            push @cases, [$n, $tok, 401, $why, $loc // 'x'] }
sub allow { my ($n, $tok, $loc) = @_;
            push @cases, [$n, $tok, 200, 'ok', $loc // 'x'] }

allow('control: correct HS256', $good);
allow('control: minted RS256', $rs_good);
allow('control: minted ES256', $es_minted);
allow('control: hand-made ES256, DER converted to raw R||S', $es_good);

# alg none, any case, with and without a signature
for my $none (qw(none None NONE nOnE)) {
    my $h = qq{{"alg":"$none","kid":"hs1"}};
    my $in = b64url($h) . '.' . $cseg;
    deny("alg $none, empty signature", "$in.", 'alg_mismatch');
    deny("alg $none, with signature", hs($h, claims()), 'alg_mismatch');
}
deny('alg none, no kid (several keys)',
     b64url('{"alg":"none"}') . ".$cseg.", 'unknown_key');

# RS256 -> HS256 confusion: the public PEM as HMAC secret
my $pem = $t->read_file($rs->{pub});
(my $pem_nonl = $pem) =~ s/\n+\z//;
my $conf_h = '{"alg":"HS256","kid":"rs1"}';
deny('HS256 with RSA public PEM as secret (with newline)',
     hs($conf_h, claims(), $pem), 'alg_mismatch');
deny('HS256 with RSA public PEM as secret (no newline)',
     hs($conf_h, claims(), $pem_nonl), 'alg_mismatch');
deny('ES256 header against RSA kid',
     b64url('{"alg":"ES256","kid":"rs1"}') . ".$cseg." . b64url($raw),
     'alg_mismatch');
deny('RS256 header against ES kid (ES signature)',
     b64url('{"alg":"RS256","kid":"es1"}') . ".$cseg." . b64url($raw),
     'alg_mismatch');

# kid games
deny('unknown kid', hs('{"alg":"HS256","kid":"nope"}', claims()),
     'unknown_key');
deny('empty kid', hs('{"alg":"HS256","kid":""}', claims()), 'unknown_key');
deny('no kid with several keys', hs('{"alg":"HS256"}', claims()),
     'unknown_key');
deny('kid of 10,000 characters',
     under16k(hs('{"alg":"HS256","kid":"' . ('k' x 10000) . '"}', claims())),
     'unknown_key');
deny('kid "hs1" plus a suffix', hs('{"alg":"HS256","kid":"hs1x"}', claims()),
     'unknown_key');
deny('kid as a number', hs('{"alg":"HS256","kid":1}', claims()),
     'malformed');

# headers that would choose the key
my %untrusted = (
    jku => '"https://attacker.example/jwks.json"',
    jwk => '{"kty":"oct","k":"' . b64url($secret) . '"}',
    x5u => '"https://attacker.example/cert.pem"',
    x5c => '["MIIBszCCAVmgAwIBAgIUQ"]',
);
for my $h (sort keys %untrusted) {
    deny("header $h",
         hs(qq{{"alg":"HS256","kid":"hs1","$h":$untrusted{$h}}}, claims()),
         'untrusted_key_header');
}
deny('header crit ["exp"]',
     hs('{"alg":"HS256","kid":"hs1","crit":["exp"]}', claims()),
     'malformed');
deny('header crit []', hs('{"alg":"HS256","kid":"hs1","crit":[]}', claims()),
     'malformed');

# ES256 signature encodings
deny('ES256 all-zero 64-byte signature', "$ES_IN." . b64url("\0" x 64),
     'bad_signature');
deny('ES256 DER-encoded signature of the right input',
     "$ES_IN." . b64url($der), 'bad_signature');
deny('ES256 r = n, s = 1',
     "$ES_IN." . b64url($P256_N . ("\0" x 31) . "\x01"), 'bad_signature');
deny('ES256 r = n, s from a valid signature',
     "$ES_IN." . b64url($P256_N . substr($raw, 32)), 'bad_signature');
deny('ES256 r from a valid signature, s = n',
     "$ES_IN." . b64url(substr($raw, 0, 32) . $P256_N), 'bad_signature');
deny('ES256 empty signature', "$ES_IN.", 'bad_signature');
deny('ES256 signature truncated to 63 bytes',
     "$ES_IN." . b64url(substr($raw, 0, 63)), 'bad_signature');
deny('ES256 signed by another ES256 key', $es_other, 'bad_signature');
deny('HS256 empty signature', b64url($HS) . ".$cseg.", 'bad_signature');
deny('HS256 signature with a wrong secret',
     hs($HS, claims(), 'x' x 45), 'bad_signature');

# size
allow('15 KiB valid ticket', sized(15 * 1024));
allow('ticket of exactly 16384 bytes', sized(16384));
deny('ticket of 16385 bytes', sized(16385), 'malformed');
deny('17 KiB ticket', sized(17 * 1024), 'malformed');
deny('64 KiB ticket', sized(64 * 1024), 'malformed');

# nesting (claims object = level 1)
allow('claims nested 10 levels', hs($HS, nested(10)));
allow('claims nested 16 levels', hs($HS, nested(16)));
deny('claims nested 17 levels', hs($HS, nested(17)), 'malformed');
deny('claims nested 5,000 levels (under 16 KiB)', under16k(hs($HS, nested(5000))),
     'malformed');
deny('claims nested 10,000 levels', hs($HS, nested(10000)), 'malformed');
deny('header nested 17 levels',
     hs('{"alg":"HS256","kid":"hs1","x":' . ('[' x 16) . (']' x 16) . '}',
        claims()), 'malformed');
deny('header nested 5,000 levels (under 16 KiB)',
     under16k(hs('{"alg":"HS256","kid":"hs1","x":' . ('[' x 4999)
                 . (']' x 4999) . '}', claims())), 'malformed');
deny('header nested 17 levels of objects',
     hs('{"alg":"HS256","kid":"hs1","x":' . ('{"a":' x 16) . '1'
        . ('}' x 16) . '}', claims()), 'malformed');
allow('header nested 16 levels of objects',
      hs('{"alg":"HS256","kid":"hs1","x":' . ('{"a":' x 15) . '1'
         . ('}' x 15) . '}', claims()));

# control bytes and encodings inside claims
deny('raw control byte 0x01 inside sub',
     hs($HS, claims(undef, sub => qq{"al\x01ice"})), 'malformed');
deny('raw newline inside sub',
     hs($HS, claims(undef, sub => qq{"al\nice"})), 'malformed');
allow('escaped \u0001 in sub', hs($HS, claims(undef, sub => '"al\u0001ice"')));
allow('escaped \n in sub', hs($HS, claims(undef, sub => '"al\nice"')));
deny('\u0000 in sub', hs($HS, claims(undef, sub => '"al\u0000ice"')),
     'malformed');
deny('\u0000 in another claim',
     hs($HS, claims(['"note":"a\u0000b"'])), 'malformed');
deny('invalid UTF-8 byte 0xff in a claim',
     hs($HS, claims([qq{"note":"a\xffb"}])), 'malformed');
deny('overlong UTF-8 in a claim',
     hs($HS, claims([qq{"note":"a\xc0\xafb"}])), 'malformed');
deny('UTF-8 encoded surrogate in a claim',
     hs($HS, claims([qq{"note":"a\xed\xa0\x80b"}])), 'malformed');
deny('lone surrogate escape in a claim',
     hs($HS, claims(['"note":"a\ud800b"'])), 'malformed');

# duplicate members
deny('sub twice', hs($HS, claims(['"sub":"mallory"'])), 'malformed');
deny('exp twice', hs($HS, claims(['"exp":' . ($now + 86400 * 365)])),
     'malformed');
deny('sub twice, once escaped',
     hs($HS, claims(['"s\u0075b":"mallory"'])), 'malformed');
deny('header alg twice',
     hs('{"alg":"none","alg":"HS256","kid":"hs1"}', claims()), 'malformed');
deny('header kid twice',
     hs('{"alg":"HS256","kid":"nope","kid":"hs1"}', claims()), 'malformed');

# claim types
deny('exp as a string', hs($HS, claims(undef, exp => '"9999999999"')),
     'malformed');
deny('iat as a string', hs($HS, claims(undef, iat => qq{"$now"})),
     'malformed');
deny('iat as a boolean', hs($HS, claims(undef, iat => 'true')), 'malformed');
deny('exp 1e300', hs($HS, claims(undef, exp => '1e300')), 'malformed');
deny('exp negative', hs($HS, claims(undef, exp => '-1')), 'malformed');
deny('exp null', hs($HS, claims(undef, exp => 'null')), 'malformed');
deny('nbf as a string', hs($HS, claims(['"nbf":"0"'])), 'malformed');
deny('sub as a number', hs($HS, claims(undef, sub => '42')), 'malformed');
deny('empty sub', hs($HS, claims(undef, sub => '""')), 'malformed');

# base64
deny('header in standard base64 with +', hs_raw(std_b64($hplus), $cseg),
     'malformed');
deny('header in standard base64 with /', hs_raw(std_b64($hslash), $cseg),
     'malformed');
deny('header with = padding', hs_raw($hpad, $cseg), 'malformed');
deny('claims in standard base64 with +', hs_raw($hseg, std_b64($cplus)),
     'malformed');
deny('claims in standard base64 with /', hs_raw($hseg, std_b64($cslash)),
     'malformed');
deny('claims with = padding', hs_raw($hseg, $cpad), 'malformed');
deny('claims with non-zero unused bits', hs_raw($hseg, $cnc), 'malformed');
deny('signature with = padding', "$good=", 'malformed');
# the canonical twins of the texts above are accepted
allow('twin: header with + as base64url', hs_raw(b64url($hplus), $cseg));
allow('twin: header with / as base64url', hs_raw(b64url($hslash), $cseg));
allow('twin: claims with + as base64url', hs_raw($hseg, b64url($cplus)));
allow('twin: claims with / as base64url', hs_raw($hseg, b64url($cslash)));
allow('twin: claims with canonical unused bits', hs_raw($hseg, $ccanon));

# structure
deny('two segments', "$hseg.$cseg", 'malformed');
deny('four segments', "$good." . b64url('x'), 'malformed');
deny('empty header segment', ".$cseg." . b64url('x' x 32), 'malformed');
deny('header is a JSON array', hs('["HS256","hs1"]', claims()), 'malformed');
deny('header is a JSON string', hs('"HS256"', claims()), 'malformed');
deny('claims are a JSON array', hs($HS, '["alice"]'), 'malformed');
deny('header without alg', hs('{"kid":"hs1"}', claims()), 'malformed');

# algorithm names
for my $alg ('hs256', 'HS256 ', ' HS256', 'Hs256', 'HS384', 'HS512',
             'RS256') {
    deny(qq{alg "$alg" against HS256 key},
         hs(qq{{"alg":"$alg","kid":"hs1"}}, claims()), 'alg_mismatch');
}

# required claims and their values
deny('kind "admin"', hs($HS, claims(undef, kind => '"admin"')), 'malformed');
deny('kind "User"', hs($HS, claims(undef, kind => '"User"')), 'malformed');
for my $c (qw(sub jti kind iat exp)) {
    deny("missing $c", hs($HS, claims(undef, $c => undef)), 'malformed');
}
deny('tenant "a/b"', hs($HS, claims(['"tenant":"a/b"'])), 'malformed');

# tenant-bound key (location /t/)
my $TH = '{"alg":"HS256","kid":"t1"}';
allow('tenant acme on acme key', hs($TH, claims(['"tenant":"acme"']),
                                    $tsecret), 't');
deny('tenant globex on acme key', hs($TH, claims(['"tenant":"globex"']),
                                     $tsecret), 'tenant_mismatch', 't');
deny('tenant ACME on acme key', hs($TH, claims(['"tenant":"ACME"']),
                                   $tsecret), 'tenant_mismatch', 't');
deny('no tenant on acme key', hs($TH, claims(), $tsecret),
     'tenant_mismatch', 't');
deny('tenant "acme/x" on acme key',
     hs($TH, claims(['"tenant":"acme/x"']), $tsecret), 'malformed', 't');
deny('tenant acme, wrong secret', hs($TH, claims(['"tenant":"acme"']),
                                     $secret), 'bad_signature', 't');
allow('tenant acme, no kid (single key)',
      hs('{"alg":"HS256"}', claims(['"tenant":"acme"']), $tsecret), 't');

# ---- run -----------------------------------------------------------------

my $tests = 1;
for my $c (@cases) {
    $tests += $c->[2] == 401 ? 4 : 3;
}
plan(tests => $tests);

my @resp;
for my $i (0 .. $#cases) {
    my ($name, $tok, $status, $why, $loc) = @{$cases[$i]};
    my $r = $t->get("/$loc/$i", ticket => $tok);
    push @resp, $r;
    is($r->{status}, $status, "$name: $status");
    if ($status == 401) {
        is($r->{headers}{'www-authenticate'},
           'Bearer realm="ticket", error="invalid_token"',
           "$name: invalid_token challenge");
        ok(index($r->{raw}, $tok) < 0
           && index($r->{body}, (split /\./, $tok, 3)[1] // "\0") < 0,
           "$name: response does not echo the ticket");
    }
}

$t->stop;

my %log;
for my $line (split /\n/, $t->read_file('logs/t.log')) {
    my ($uri, $st, $why, $ver) = split / /, $line;
    $log{$1} = [$st, $why, $ver] if $uri =~ m{^/\w+/(\d+)$};
}

for my $i (0 .. $#cases) {
    my ($name, $tok, $status, $why) = @{$cases[$i]};
    my $l = $log{$i} // ['', '', ''];
    is($l->[1], $why, "$name: reason $why");
    if ($status == 200) {
        is($l->[2], '1', "$name: verified");
    }
}

$t->done;
