#!/usr/bin/perl
# ticket_oidc_issuer where the discovery document's jwks_uri is on another
# host than the issuer, as Google (accounts.google.com, keys on
# www.googleapis.com) and PayPal publish it.  With a "resolver" in the
# scope the keys host is resolved by it before each fetch and its
# certificate must name it; an address in jwks_uri is reached without the
# resolver; without a resolver the document is refused with an error line
# saying what is needed, and the scope's tickets are unknown_key.  The
# resolver is a real dnsmasq on loopback answering for *.keys.test; the
# key service is nginx over TLS on 127.0.0.1 with a certificate from a CA
# this test makes.

use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use JSON::PP;
use Time::HiRes qw(time sleep);
use TicketTest;

plan(tests => 14);

my $t = TicketTest->new;      # the gateway
my $ks = TicketTest->new;     # the identity provider and its key host
my $kd = $ks->dir;

# one certificate for the issuer's host, the keys host and the address;
# another, from the same CA, naming only the issuer (for a keys host that
# presents a certificate not naming it)
my $ca = $ks->tls_ca('discovery');
my ($crt, $crtkey) = $ks->tls_cert('discovery', 'idp', "subjectAltName="
    . "DNS:idp.keys.test,DNS:jwks.keys.test,IP:127.0.0.1\n");
my ($other, $otherkey) = $ks->tls_cert('discovery', 'only-idp',
                                       "subjectAltName=DNS:idp.keys.test\n");

my %key = map { $_ => $t->keygen('ES256', $_) } qw(k1 k2 k3 k4);

sub jwks {
    encode_json({ keys => [ map {
        decode_json($t->read_file("keys/$_.jwks"))->{keys}[0] } @_ ] });
}

my $dnsp = $t->start_dnsmasq('/keys.test/127.0.0.1');

# ---- the identity provider -------------------------------------------------

my $ksp = $ks->port('ks');
my $bad = $ks->port('badname');
my $idp = "https://idp.keys.test:$ksp";
my $lit = "https://127.0.0.1:$ksp";

mkdir "$kd/www";
for my $d (qw(named addr noresolver wrongname)) {
    mkdir "$kd/www/$d";
    mkdir "$kd/www/$d/.well-known";
}

# keys on another host name, on an address, on another host with no
# resolver in the scope, and on a host whose certificate does not name it
my %doc = (
    named      => [ "$idp/named", "https://jwks.keys.test:$ksp/named/keys" ],
    addr       => [ "$idp/addr", "https://127.0.0.1:$ksp/addr/keys" ],
    noresolver => [ "$lit/noresolver",
                    "https://jwks.keys.test:$ksp/noresolver/keys" ],
    wrongname  => [ "$idp/wrongname",
                    "https://jwks.keys.test:$bad/wrongname/keys" ],
);
my %kid = (named => 'k1', addr => 'k2', noresolver => 'k3',
           wrongname => 'k4');

for my $d (keys %doc) {
    $ks->write_file("www/$d/.well-known/openid-configuration",
                    encode_json({ issuer => $doc{$d}[0],
                                  jwks_uri => $doc{$d}[1] }));
    $ks->write_file("www/$d/keys", jwks($kid{$d}));
}

$ks->start(<<"EOF", wait_ports => [ $ksp, $bad ]);
    log_format keys '\$host \$request \$status';
    server {
        listen 127.0.0.1:$ksp ssl;
        ssl_certificate $crt;
        ssl_certificate_key $crtkey;
        access_log %%DIR%%/logs/keys.log keys;
        root %%DIR%%/www;
        default_type application/json;
    }
    server {
        listen 127.0.0.1:$bad ssl;
        ssl_certificate $other;
        ssl_certificate_key $otherkey;
        access_log %%DIR%%/logs/keys.log keys;
        root %%DIR%%/www;
        default_type application/json;
    }
EOF

# ---- the gateway -------------------------------------------------------------

# each scope its own issuer; all but /noresolver with the resolver
my $scopes = join '', map {
    my $r = $_ eq 'noresolver' ? ''
          : "resolver 127.0.0.1:$dnsp ipv6=off valid=1s; "
            . "resolver_timeout 1s;";
    "        location /$_ { ticket user; $r\n"
    . "            ticket_oidc_issuer $doc{$_}[0] refresh=1s:1s;\n"
    . "            proxy_pass http://127.0.0.1:%%PORT:backend%%; }\n"
} sort keys %doc;

$t->start(<<"EOF", workers => 2);
    ticket_keys_trusted_certificate $ca;
    server {
        listen 127.0.0.1:%%PORT%%;
$scopes
    }
    server {
        listen 127.0.0.1:%%PORT:backend%%;
        location / { return 200 "ok\\n"; }
    }
EOF

sub tk {
    my ($d) = @_;
    return $t->mint(key => $key{$kid{$d}}{key}, kid => $kid{$d},
                    sub => "u-$d", kind => 'user', iss => $doc{$d}[0]);
}

sub status { $t->get("/$_[0]", ticket => tk($_[0]))->{status} }

sub keys_log { -e "$kd/logs/keys.log" ? $ks->read_file('logs/keys.log') : '' }

ok(TicketTest::poll(sub { status('named') == 200 }),
   'jwks_uri on another host name: its keys verify');
like(keys_log(), qr{^jwks\.keys\.test GET /named/keys HTTP/1\.0 200$}m,
     'fetched from the keys host, by its name (Host, SNI)');
like($t->error_log, qr/\[notice\][^\n]*discovery document of "\Q$doc{named}[0]\E": keys fetched from jwks\.keys\.test:$ksp/,
     'where the keys are on another host, a notice names it');
like($t->read_file('logs/dnsmasq.log'), qr/query\[A\] jwks\.keys\.test/,
     'the keys host resolved by the scope\'s resolver');

ok(TicketTest::poll(sub { status('addr') == 200 }),
   'jwks_uri on an address: its keys verify');
like(keys_log(), qr{^127\.0\.0\.1 GET /addr/keys HTTP/1\.0 200$}m,
     'fetched from the address');

# keys of one scope never verify in another
is($t->get('/named', ticket => tk('addr'))->{status}, 401,
   'a key of another scope: 401');

ok(TicketTest::poll(sub { $t->error_log =~ m{\[error\][^\n]*discovery document of "\Q$doc{noresolver}[0]\E": jwks_uri on another host than the issuer \(jwks\.keys\.test:$ksp\) is reached only with the issuer named by host and a "resolver" in the scope} }),
   'no resolver: the error line says what is needed');
is(status('noresolver'), 401, 'and its tickets are refused');
unlike(keys_log(), qr{/noresolver/keys}, 'its keys host never asked');

ok(TicketTest::poll(sub { $t->error_log =~ /\[error\][^\n]*key service jwks\.keys\.test[^\n]*(certificate|TLS)/ }),
   'a keys host whose certificate does not name it: a TLS error line');
is(status('wrongname'), 401, 'and its tickets are refused');
unlike(keys_log(), qr{/wrongname/keys}, 'no document read from it');

$ks->stop;
$t->done;
