#!/usr/bin/perl
# Keys from a key service through a binary upgrade (USR2, then QUIT of the
# old master) and a fresh start: the new binary's workers begin with no
# document, so their first requests wait for the first fetch (bounded)
# instead of refusing tickets the old workers accepted.  Every answer
# during the upgrade is 200.  The key service is a second nginx serving
# the JWKS over TLS with a certificate from a CA this test makes.

use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use POSIX qw(WNOHANG);
use Time::HiRes qw(time sleep);
use TicketTest;

plan(tests => 7);

my $t = TicketTest->new;
my $ks = TicketTest->new;
my $kd = $ks->dir;

sub openssl {
    my ($rc, $o, $e) = $ks->run_cmd('openssl', @_);
    die "openssl: $e\n" if $rc != 0;
}

openssl('req', '-x509', '-newkey', 'ec', '-pkeyopt',
        'ec_paramgen_curve:P-256', '-nodes', '-days', '2', '-subj',
        '/CN=upgrade test CA', '-keyout', "$kd/ca.key", '-out', "$kd/ca.pem");
openssl('req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256',
        '-nodes', '-subj', '/CN=localhost', '-keyout', "$kd/svc.key",
        '-out', "$kd/svc.csr");
$ks->write_file('svc.ext', "subjectAltName=DNS:localhost\n");
openssl('x509', '-req', '-in', "$kd/svc.csr", '-CA', "$kd/ca.pem", '-CAkey',
        "$kd/ca.key", '-CAcreateserial', '-days', '2', '-extfile',
        "$kd/svc.ext", '-out', "$kd/svc.pem");

my $k1 = $t->keygen('ES256', 'k1');
mkdir "$kd/www";
$ks->write_file('www/jwks.json', $t->read_file('keys/k1.jwks'));

my $ksp = $ks->port('ks');
$ks->start(<<'EOF', wait_ports => [ $ksp ]);
    server {
        listen 127.0.0.1:%%PORT:ks%% ssl;
        ssl_certificate %%DIR%%/svc.pem;
        ssl_certificate_key %%DIR%%/svc.key;
        root %%DIR%%/www;
    }
EOF

$t->start(<<"EOF", workers => 2, daemon => 1);
    server {
        listen 127.0.0.1:%%PORT%%;
        location / {
            ticket user;
            ticket_keys_trusted_certificate $kd/ca.pem;
            ticket_keys_url https://localhost:$ksp/jwks.json refresh=1h:1h;
            proxy_pass http://127.0.0.1:%%PORT:backend%%;
        }
    }
    server {
        listen 127.0.0.1:%%PORT:backend%%;
        location / { return 200 "ok\\n"; }
    }
EOF

my $tk = $t->mint(key => $k1->{key}, kid => 'k1', sub => 'u', kind => 'user');
my %st;
sub sweep { $st{$t->get('/', ticket => $tk)->{status}}++ }

# a fresh start: the very first request waits for the first document
is($t->get('/', ticket => $tk)->{status}, 200,
   'fresh start: the first request is answered with the fetched keys');

my ($old) = $t->read_file('logs/nginx.pid') =~ /(\d+)/;
kill 'USR2', $old;
my $new;
my $end = time + 15;
while (time < $end) {
    sweep();
    ($new) = $t->read_file('logs/nginx.pid') =~ /(\d+)/;
    last if $new && $new != $old && -e $t->dir . '/logs/nginx.pid.oldbin';
    sleep 0.02;
}
ok($new && $new != $old, 'USR2: a new master runs');

# the old workers leave; the new ones answer alone from now on
kill 'WINCH', $old;
sweep() for 1 .. 50;
kill 'QUIT', $old;
$end = time + 15;
while (time < $end) {
    sweep();
    last unless kill 0, $old;
    sleep 0.02;
}
ok(!kill(0, $old), 'the old master has left');
$t->{pid} = $new;

sweep() for 1 .. 50;
is_deeply([ sort keys %st ], [ 200 ],
          'every request through the upgrade verified (200 only)')
    or diag(explain \%st);
cmp_ok($st{200} // 0, '>=', 100, 'requests were made throughout');
is($t->get('/', ticket => $tk)->{status}, 200, 'after the upgrade: 200');

$ks->stop;
$t->done;
