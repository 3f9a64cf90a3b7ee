#!/usr/bin/perl
# Bad configuration fails `nginx -t` with a message that names the problem
# and the file and line of the offending directive; a correct one passes.

use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use JSON::PP;
use TicketTest;

my $t = TicketTest->new;
my $dir = $t->dir;

# ---- key material -----------------------------------------------------------

my $k1 = $t->keygen('ES256', 'k1');
my $k2 = $t->keygen('ES256', 'k2');
my $hs = $t->keygen('HS256', 'hs');

my $json = JSON::PP->new->canonical;
my $jwk = $json->decode($t->read_file($k1->{jwks}))->{keys}[0];

sub jwks_file {
    my ($name, %edit) = @_;
    my %k = %$jwk;
    for (keys %edit) {
        if (defined $edit{$_}) { $k{$_} = $edit{$_} } else { delete $k{$_} }
    }
    return $t->write_file($name, $json->encode({ keys => [\%k] }));
}

jwks_file('nokid.jwks', kid => undef);
# an EC or RSA JWK without alg takes it from the key (SPEC "Keys"); a
# symmetric one cannot: which HS alg is not known
{
    my $hk = $json->decode($t->read_file($hs->{jwks}))->{keys}[0];
    delete $hk->{alg};
    $t->write_file('noalg.jwks', $json->encode({ keys => [$hk] }));
}
# a private EC JWK: "d" present (any 32 bytes; it must be refused as such)
jwks_file('private.jwks',
          d => TicketTest::b64url(join '', map { chr(($_ * 37 + 11) % 256) }
                                               1 .. 32));

$t->write_file('short.secret', ('s' x 31) . "\n");
$t->write_file('pem.secret', $t->read_file($k1->{pub}));

my ($rc, $o, $e) = $t->run_cmd('openssl', 'genpkey', '-algorithm', 'RSA',
                               '-pkeyopt', 'rsa_keygen_bits:1024',
                               '-out', "$dir/rsa1024.key");
die "openssl genpkey: $e\n" if $rc != 0;
($rc, $o, $e) = $t->run_cmd('openssl', 'pkey', '-in', "$dir/rsa1024.key",
                            '-pubout', '-out', "$dir/rsa1024.pub");
die "openssl pkey: $e\n" if $rc != 0;

mkdir "$dir/adir";

# ---- cases ------------------------------------------------------------------

# [name, http{} body, regex of the offending line in nginx.conf,
#  regex of the message]
my @fail = (
    ['unknown alg in ticket_key',
     loc('ticket_key k1 XS256 %%DIR%%/keys/k1.pub;'),
     qr/ticket_key k1 XS256/, qr/alg\w*\W[^\n]*"?XS256/i],
    ['missing key file (ticket_key)',
     loc('ticket_key k1 ES256 %%DIR%%/keys/nope.pub;'),
     qr/nope\.pub/, qr/open\(\)[^\n]*\Q$dir\E\/keys\/nope\.pub/],
    ['missing key file (ticket_keys)',
     loc('ticket_keys %%DIR%%/keys/nope.jwks;'),
     qr/nope\.jwks/, qr/open\(\)[^\n]*\Q$dir\E\/keys\/nope\.jwks/],
    ['key file is a directory',
     loc('ticket_keys %%DIR%%/adir;'),
     qr/ticket_keys \S+\/adir;/, qr/\Q$dir\E\/adir/],
    ['JWK without kid',
     loc('ticket_keys %%DIR%%/nokid.jwks;'),
     qr/nokid\.jwks/, qr/nokid\.jwks[^\n]*\bkid\b[^\n]*(missing|absent|no )/i],
    ['oct JWK without alg',
     loc('ticket_keys %%DIR%%/noalg.jwks;'),
     qr/noalg\.jwks/, qr/noalg\.jwks[^\n]*without "alg"/i],
    ['same kid twice in one scope (JWKS + PEM)',
     loc("ticket_keys %%DIR%%/keys/k1.jwks;\n"
         . "            ticket_key k1 ES256 %%DIR%%/keys/k2.pub;"),
     qr/ticket_key k1 ES256/, qr/duplicate[^\n]*k1/i],
    ['same kid twice in one scope (two PEMs)',
     loc("ticket_key k1 ES256 %%DIR%%/keys/k1.pub;\n"
         . "            ticket_key k1 ES256 %%DIR%%/keys/k2.pub;"),
     qr/ticket_key k1 ES256 \S+k2\.pub/, qr/duplicate[^\n]*k1/i],
    ['ticket user with no key anywhere',
     "    server {\n"
     . "        listen 127.0.0.1:%%PORT%%;\n"
     . "        location /a/ {\n"
     . "            ticket_realm \"a\";\n"
     . "            ticket user;\n"
     . "            ticket_audience orders;\n"
     . "        }\n"
     . "    }\n",
     qr/^\s*ticket user;/, qr/no key|key[^\n]*missing/i],
    ['ticket_leeway abc',
     loc('ticket_keys %%DIR%%/keys/k1.jwks; ticket_leeway abc;'),
     qr/ticket_leeway abc/, qr/"ticket_leeway" directive invalid value/],
    ['ticket_max_lifetime 0',
     loc('ticket_keys %%DIR%%/keys/k1.jwks; ticket_max_lifetime 0;'),
     qr/ticket_max_lifetime 0/,
     qr/"ticket_max_lifetime"[^\n]*(more than 0|invalid)/],
    ['ticket bogus',
     "    ticket_keys %%DIR%%/keys/k1.jwks;\n"
     . "    server {\n"
     . "        listen 127.0.0.1:%%PORT%%;\n"
     . "        ticket bogus;\n"
     . "    }\n",
     qr/ticket bogus/, qr/bogus/],
    ['ticket_token foo:bar',
     loc('ticket_keys %%DIR%%/keys/k1.jwks; ticket_token foo:bar;'),
     qr/ticket_token foo:bar/, qr/foo:bar/],
    ['HS secret shorter than 32 bytes',
     loc('ticket_key hs HS256 %%DIR%%/short.secret;'),
     qr/short\.secret/, qr/short\.secret[^\n]*(31 bytes|least 32|short)/i],
    ['HS secret file that is a PEM',
     loc('ticket_key hs HS256 %%DIR%%/pem.secret;'),
     qr/pem\.secret/, qr/pem\.secret[^\n]*PEM/],
    ['RSA 1024 key',
     loc('ticket_key r RS256 %%DIR%%/rsa1024.pub;'),
     qr/rsa1024\.pub/, qr/rsa1024\.pub[^\n]*(1024|2048)/],
    ['private key PEM in ticket_key',
     loc('ticket_key k1 ES256 %%DIR%%/keys/k1.key;'),
     qr/k1\.key;/, qr/k1\.key[^\n]*private key/i],
    ['JWKS with private "d"',
     loc('ticket_keys %%DIR%%/private.jwks;'),
     qr/private\.jwks/, qr/private\.jwks[^\n]*private/i],
    ['ticket_realm with a quote',
     loc(q{ticket_keys %%DIR%%/keys/k1.jwks; ticket_realm 'a"b';}),
     qr/ticket_realm/, qr/realm[^\n]*a"b/],
    ['duplicate ticket_issuer in one scope',
     loc("ticket_keys %%DIR%%/keys/k1.jwks;\n"
         . "            ticket_issuer https://one.example;\n"
         . "            ticket_issuer https://two.example;"),
     qr/ticket_issuer https:\/\/two/, qr/"ticket_issuer" directive is duplicate/],
    ['ticket_set_header Host',
     loc('ticket_keys %%DIR%%/keys/k1.jwks; ticket_set_header Host sub;'),
     qr/ticket_set_header Host/, qr/"?Host"?[^\n]*(cannot|not|refus)/i],
);

plan(tests => 3 * @fail + 2 + 1);

sub loc {
    my ($directives) = @_;
    return "    server {\n"
         . "        listen 127.0.0.1:%%PORT%%;\n"
         . "        location / {\n"
         . "            ticket user;\n"
         . "            $directives\n"
         . "        }\n"
         . "    }\n";
}

# line number of the first line of the written nginx.conf matching $re
sub line_of {
    my ($re) = @_;
    my @lines = split /\n/, $t->read_file("$dir/nginx.conf");
    for my $i (0 .. $#lines) {
        return $i + 1 if $lines[$i] =~ $re;
    }
    return -1;
}

for my $c (@fail) {
    my ($name, $http, $where, $msg) = @$c;
    my ($rc, $out) = $t->nginx_test($http);
    my $line = line_of($where);
    note("$name: " . join(" | ", grep { /emerg/ } split /\n/, $out));
    isnt($rc, 0, "$name: nginx -t fails");
    like($out, $msg, "$name: message names the problem");
    like($out, qr/\[emerg\][^\n]* in \Q$dir\E\/nginx\.conf:$line\b/,
         "$name: message names nginx.conf:$line")
        or diag("expected line $line: "
                . ((split /\n/, $t->read_file("$dir/nginx.conf"))[$line - 1]
                   // '?'));
}

my ($ok_rc, $ok_out) = $t->nginx_test(<<'EOF');
    ticket_keys %%DIR%%/keys/k1.jwks;
    ticket_key k2 ES256 %%DIR%%/keys/k2.pub;
    ticket_leeway 10s;
    ticket_max_lifetime 2h;
    server {
        listen 127.0.0.1:%%PORT%%;
        ticket_realm "api";
        location / {
            ticket user;
            ticket_issuer https://one.example https://two.example;
            ticket_audience orders;
            ticket_token header:Authorization cookie:tk arg:tk;
            ticket_set_header X-User sub;
            ticket_require_role reader;
        }
        location /hs/ {
            ticket service;
            ticket_key hs HS256 %%DIR%%/keys/hs.key;
        }
        location /open/ {
            ticket off;
        }
    }
EOF
is($ok_rc, 0, 'correct configuration: nginx -t succeeds')
    or diag($ok_out);
like($ok_out, qr/test is successful/, 'correct configuration: successful');

# no [alert], no sanitizer report from any nginx -t above
$t->done;
