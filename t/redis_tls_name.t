#!/usr/bin/perl

# The gateway checks the name in Redis's certificate, not only its chain
# (issue 15).  A redis-server with TLS whose certificate, from a CA this
# test makes, names only DNS:redis.test, no address; every gateway
# connects to 127.0.0.1 and trusts that CA.  Without tls_name the address
# is what the certificate must name: refused, logged, never loaded, every
# request 503.  With tls_name=redis.test it connects, and a revocation
# ticketctl writes over rediss:// turns the ticket 401.  With
# tls_name=other.test: refused as without.
#
#   TICKET_BUILD=build prove -v t/redis_tls_name.t

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";

use Test::More;
use TicketTest;
use RevTest;

plan(tests => 21);

my $t = TicketTest->new;
my $d = $t->dir;

my $ca = $t->tls_ca('test');
my ($cert, $key) = $t->tls_cert('test', 'redis',
                                "subjectAltName=DNS:redis.test\n");

# the plain port is the test's own (redis_cmd); the gateways use TLS
my $tport = $t->port('redis_tls');
$t->start_redis(args => ['--tls-port', $tport,
                         '--tls-cert-file', $cert,
                         '--tls-key-file', $key,
                         '--tls-ca-cert-file', $ca,
                         '--tls-auth-clients', 'no']);
my $rport = $t->port('redis');

my @tls = ('--tls-ca', $ca);

# ticketctl agrees with the certificate: the address is not its name
my ($rc, $out, $err) = $t->ticketctl('revoke', '--redis',
                                     "rediss://127.0.0.1:$tport", @tls,
                                     '--jti', 'jti-probe', '--exp', '+1h');
is($rc, 2, 'ticketctl: the address, which the certificate does not name, '
           . 'fails');
like($err, qr/certificate not verified/, '... certificate not verified');

# ticket_status: whether the lists were ever loaded, and their age
sub loaded {
    my ($g) = @_;
    my $b = $g->get('/status')->{body};
    my ($l) = $b =~ /^ticket_revocation_loaded (\d+)$/m;
    my ($age) = $b =~ /^ticket_revocation_sync_age_seconds (\S+)$/m;
    return ($l // -1) . ' ' . ($age // '?');
}

# a gateway sharing the first one's Redis (and its key)
sub gateway {
    my ($name, $redis) = @_;
    my $g = $name eq 'first' ? $t : TicketTest->new;
    $g->{redis_port} = $rport;
    my $k = $g->keygen('ES256', 'k1');
    $g->start(rev_conf(redis => "127.0.0.1:$tport tls tls_ca=$ca$redis"));
    return ($g, $k);
}

# ---- (a) no tls_name: the certificate must name 127.0.0.1 -----------------

my ($a, $ak) = gateway('first', '');
my $atk = rev_mint($a, $ak, sub => 'alice', jti => 'jti-a');
my $w = rev_watch($a, $atk, for => 2);
is_deeply([grep { $_ != 503 } @{$w->{statuses}}], [],
          'no tls_name: every request 503, never 200');
ok(rev_poll(sub {
    $a->error_log =~ /ticket redis "127\.0\.0\.1:$tport": TLS handshake failed: certificate not verified: IP address mismatch/;
}, 10), 'no tls_name: the error log says the address is not the '
        . 'certificate\'s') or diag($a->error_log);
unlike($a->error_log, qr/revocation lists loaded/, 'no tls_name: never '
                                                   . 'loaded');
is(loaded($a), '0 +Inf', 'no tls_name: ticket_status says never loaded, '
                         . 'never synced');

# ---- (b) tls_name=redis.test: connects, follows revocations ---------------

my ($b, $bk) = gateway('b', ' tls_name=redis.test');
my $btk = rev_mint($b, $bk, sub => 'bob', jti => 'jti-b');
$w = rev_watch($b, $btk, until => 200, limit => 10);
ok($w->{reached}, 'tls_name=redis.test: lists loaded, a valid ticket 200');
like($b->error_log, qr/revocation lists loaded/, '... logged as loaded');
like(loaded($b), qr/^1 \d+\.\d+$/, '... ticket_status: loaded, synced');
unlike($b->error_log, qr/certificate not verified/,
       '... no certificate refused');

($rc, $out, $err) = $b->ticketctl('revoke', '--redis',
                                  "rediss://127.0.0.1:$tport", @tls,
                                  '--tls-name', 'redis.test',
                                  '--ticket', $btk, '--reason', 'tls name');
is($rc, 0, 'ticketctl revoke over rediss:// with --tls-name redis.test')
    or diag($err);
$w = rev_watch($b, $btk, until => 401, limit => 5);
ok($w->{reached}, 'tls_name=redis.test: the revocation arrives, 401');
is($w->{last}{headers}{'x-reason'}, 'revoked', '... for being revoked');
$b->done;

# ---- (c) tls_name=other.test: a name the certificate lacks ----------------

my ($c, $ck) = gateway('c', ' tls_name=other.test');
my $ctk = rev_mint($c, $ck, sub => 'carol', jti => 'jti-c');
$w = rev_watch($c, $ctk, for => 2);
is_deeply([grep { $_ != 503 } @{$w->{statuses}}], [],
          'tls_name=other.test: every request 503, never 200');
ok(rev_poll(sub {
    $c->error_log =~ /ticket redis "127\.0\.0\.1:$tport": TLS handshake failed: certificate not verified: hostname mismatch/;
}, 10), 'tls_name=other.test: the error log says the name is not the '
        . 'certificate\'s') or diag($c->error_log);
unlike($c->error_log, qr/revocation lists loaded/, 'tls_name=other.test: '
                                                   . 'never loaded');
is(loaded($c), '0 +Inf', 'tls_name=other.test: ticket_status says never '
                         . 'loaded');
$c->done;

# (a) still refused after all that: never loaded, never 200
$w = rev_watch($a, $atk, for => 1);
is_deeply([grep { $_ != 503 } @{$w->{statuses}}], [],
          'no tls_name: still 503 at the end');

$t->done;
