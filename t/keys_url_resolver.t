#!/usr/bin/perl
# A key service on a host name resolved at run time by nginx's resolver
# (the "resolver" directive), not once at configuration time: nginx -t
# takes a name only that resolver knows, the keys are fetched from the
# address it answers, and when the name moves to another address (the
# key service moved) the next fetch follows it, with no reload.  When the
# resolver stops answering, the fetch fails with an error line and the
# keys stay.  Without a resolver the name is resolved by nginx -t, as
# before, and a name the system cannot resolve fails it.  The resolver is
# a real dnsmasq on loopback answering for keys.test; the key services are
# nginx over TLS on 127.0.0.1 and 127.0.0.2 with a certificate for
# keys.test from a CA this test makes.

use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use JSON::PP;
use Time::HiRes qw(time sleep);
use TicketTest;

plan(tests => 11);

my $t = TicketTest->new;      # the gateway
my $ka = TicketTest->new;     # the key service on 127.0.0.1
my $kb = TicketTest->new;     # and on 127.0.0.2, after the move
my $kd = $ka->dir;

my $ca = $ka->tls_ca('resolver');
$ka->tls_cert('resolver', 'service', "subjectAltName=DNS:keys.test\n");

my %key = map { $_ => $t->keygen('ES256', $_) } qw(k1 k2);

sub jwks {
    encode_json({ keys => [ map {
        decode_json($t->read_file("keys/$_.jwks"))->{keys}[0] } @_ ] });
}

# ---- dnsmasq ---------------------------------------------------------------

sub dns_start { $t->start_dnsmasq("/keys.test/$_[0]") }
sub dns_stop { $t->stop_dnsmasq }

my $dnsp = dns_start('127.0.0.1');

# ---- the key services ----------------------------------------------------------

my $ksp = $ka->port('ks');
for my $svc ([ $ka, '127.0.0.1', 'k1' ], [ $kb, '127.0.0.2', 'k2' ]) {
    my ($k, $ip, $kid) = @$svc;
    mkdir $k->dir . '/www';
    $k->write_file('www/jwks.json', jwks($kid));
    $k->start(<<"EOF", wait_ports => []);
    server {
        listen $ip:$ksp ssl;
        ssl_certificate $kd/service.pem;
        ssl_certificate_key $kd/service.key;
        root %%DIR%%/www;
        default_type application/json;
    }
EOF
}

# ---- nginx -t ------------------------------------------------------------------

my $conf = <<"EOF";
    resolver 127.0.0.1:$dnsp ipv6=off valid=1s;
    resolver_timeout 1s;
    ticket_keys_trusted_certificate $ca;
    server {
        listen 127.0.0.1:%%PORT%%;
        location /k { ticket user;
            ticket_keys_url https://keys.test:$ksp/jwks.json refresh=1s:1s;
            proxy_pass http://127.0.0.1:%%PORT:backend%%; }
        location = /status { ticket_status; }
    }
    server {
        listen 127.0.0.1:%%PORT:backend%%;
        location / { return 200 "ok\\n"; }
    }
EOF

my ($rc, $out) = $t->nginx_test($conf);
is($rc, 0, 'nginx -t: a name only the configured resolver knows')
    or diag($out);

(my $noresolver = $conf) =~ s/^\s*resolver(_timeout)? [^\n]*\n//mg;
($rc, $out) = $t->nginx_test($noresolver);
isnt($rc, 0, 'nginx -t without a resolver: the name must resolve now');
like($out, qr/\[emerg\][^\n]*host not found in key service URL "https:\/\/keys.test:\d+\/jwks.json"/,
     'the message names the URL');

# ---- fetched from where the resolver says, and followed ----------------------

$t->start($conf, workers => 2);

sub status { $t->get('/k', ticket => $_[0])->{status} }

my %tk = map { $_ => $t->mint(key => $key{$_}{key}, kid => $_,
                              sub => "u-$_", kind => 'user') } qw(k1 k2);

ok(TicketTest::poll(sub { status($tk{k1}) == 200 }),
   'keys fetched from 127.0.0.1, as the resolver answered');
is(status($tk{k2}), 401, 'k2 (only at 127.0.0.2) not yet');
like($t->read_file('logs/dnsmasq.log'), qr/query\[A\] keys\.test/,
     'nginx asked dnsmasq');

# the key service moves: the name now answers 127.0.0.2
dns_stop();
dns_start('127.0.0.2');
ok(TicketTest::poll(sub { status($tk{k2}) == 200 }, 30),
   'the name moved: the next fetches go to 127.0.0.2, no reload');
is(status($tk{k1}), 401, 'and only its keys count now');

# the resolver stops answering: errors, the keys stay
dns_stop();
ok(TicketTest::poll(sub { $t->error_log =~ /\[error\][^\n]*key service keys\.test could not be resolved/ }, 30),
   'no answer: "could not be resolved" in the error log');
is(status($tk{k2}), 200, 'the keys stay while the resolver is gone');

$ka->stop;
$kb->stop;
$t->done;
