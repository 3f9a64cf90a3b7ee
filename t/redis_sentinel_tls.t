#!/usr/bin/perl
# sentinel=NAME with tls and password_file (SPEC: Sentinel connections use
# the same credentials and TLS), and ticketctl revoke --sentinel
# rediss://...: a primary that speaks only TLS to everyone but this test
# and requires a password; Sentinels that speak TLS too (one without a
# password, as most are: AUTH there answers "without any password
# configured" and the gateway and ticketctl ask without it; one with the
# primary's password).  The gateway syncs, ticketctl finds the primary
# through a Sentinel over TLS and revokes, the gateway refuses the ticket.
# A gateway or ticketctl trusting another CA never reaches the Sentinels:
# the gateway fails closed.
#
#   TICKET_BUILD=build prove -v t/redis_sentinel_tls.t

use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use TicketTest;
use RevTest;

plan(tests => 25);

my $NAME = 'gw';

my $t = TicketTest->new;                    # nginx, and the primary
my @s = map { TicketTest->new } 1 .. 2;     # the Sentinels
my $d = $t->dir;
my $k = $t->keygen('ES256', 'k1');

my $ca = $t->tls_ca('test');
my $other = $t->tls_ca('other');
my ($cert, $key) = $t->tls_cert('test', 'redis',
                                "subjectAltName=IP:127.0.0.1\n");
my $pw = $t->write_file('redis.pw', "s3cret-for-sentinel-tls\n");

my @tls = ('--tls-cert-file', $cert, '--tls-key-file', $key,
           '--tls-ca-cert-file', $ca, '--tls-auth-clients', 'no');

# the plain port is the test's own (redis_cmd): nothing else uses it
my $ptls = $t->port('redis_tls');
$t->start_redis(args => ['--tls-port', $ptls, '--requirepass',
                         's3cret-for-sentinel-tls', @tls]);

my @stls;
for my $i (0, 1) {
    my $p = $s[$i]->port('sentinel_tls');
    push @stls, $p;
    $s[$i]->start_sentinel($ptls, name => $NAME, quorum => 1, extra =>
        "tls-port $p\ntls-cert-file $cert\ntls-key-file $key\n"
        . "tls-ca-cert-file $ca\ntls-auth-clients no\n"
        . "tls-replication yes\n"
        . "sentinel auth-pass $NAME s3cret-for-sentinel-tls\n"
        . ($i == 1 ? "requirepass s3cret-for-sentinel-tls\n"
                     . "user ops+soc on >userpass-42 +\@all\n" : ''));
}

# the Sentinels reach the primary over TLS with its password
ok(rev_poll(sub {
    ($s[0]->sentinel_master($NAME)->{flags} // '') eq 'master';
}, 15), 'the Sentinel monitors the primary over TLS');

# ---- the gateway: Sentinels and primary over TLS, the primary's password --

$t->start(rev_conf(redis => "127.0.0.1:$stls[0] sentinel=$NAME tls "
                            . "tls_ca=$ca password_file=$pw"));

my $V = rev_mint($t, $k, sub => 'valid', jti => 'jti-valid');
ok(rev_watch($t, $V, until => 200, limit => 10)->{reached},
   'TLS Sentinel, TLS primary with a password: valid ticket 200');
like($t->error_log, qr/sentinel "127\.0\.0\.1:$stls[0]" has no password: asked without AUTH/,
     'a Sentinel without a password is asked without AUTH (logged)');
like($t->error_log, qr/the primary of "$NAME" is 127\.0\.0\.1:$ptls\b/,
     'the Sentinel named the primary\'s TLS port');

# ---- ticketctl: --sentinel rediss://, the same password and CA ------------

my $tk = rev_mint($t, $k, sub => 'mallory', jti => 'jti-sentinel-tls');
is(rev_status($t, $tk), 200, 'not yet revoked: 200');

my ($rc, $out, $err) = $t->ticketctl('revoke', '--sentinel',
    "rediss://127.0.0.1:$stls[0]", '--master', $NAME, '--password-file',
    $pw, '--tls-ca', $ca, '--ticket', $tk, '--reason', 'sentinel tls');
is($rc, 0, 'ticketctl revoke --sentinel rediss:// (no Sentinel password) '
           . 'writes to the TLS primary') or diag($err);
ok(rev_watch($t, $tk, until => 401, limit => 5)->{reached},
   'the gateway refuses the ticket revoked through the Sentinel');

my $tk2 = rev_mint($t, $k, sub => 'eve', jti => 'jti-sentinel-tls-2');
($rc, $out, $err) = $t->ticketctl('revoke', '--sentinel',
    "rediss://127.0.0.1:$stls[1]", '--master', $NAME, '--password-file',
    $pw, '--tls-ca', $ca, '--ticket', $tk2, '--reason', 'sentinel tls');
is($rc, 0, 'ticketctl through a Sentinel with the password: written')
    or diag($err);
ok(rev_watch($t, $tk2, until => 401, limit => 5)->{reached},
   'and refused by the gateway');

# an ACL user whose name the URL escapes, on the Sentinel and the primary
$t->redis_cmd('AUTH', 's3cret-for-sentinel-tls');
$t->redis_cmd('ACL', 'SETUSER', 'ops+soc', 'on', '>userpass-42', '~*',
              '&*', '+@all');
my $upw = $t->write_file('user.pw', "userpass-42\n");
my $tk3 = rev_mint($t, $k, sub => 'trent', jti => 'jti-sentinel-tls-3');
($rc, $out, $err) = $t->ticketctl('revoke', '--sentinel',
    "rediss://ops%2Bsoc\@127.0.0.1:$stls[1]", '--master', $NAME,
    '--password-file', $upw, '--tls-ca', $ca, '--ticket', $tk3,
    '--reason', 'sentinel tls user');
is($rc, 0, 'ticketctl as the ACL user "ops+soc" (escaped in the URL), '
           . 'Sentinel and primary: written') or diag($err);
ok(rev_watch($t, $tk3, until => 401, limit => 5)->{reached},
   'and refused by the gateway');

# ---- an ACL user: README's lines, on a Sentinel and on the primary ------

my $readme = $t->read_file("$FindBin::Bin/../README.md");
my ($srules) = $readme =~ /^redis-cli -p 26379 ACL SETUSER ticket-gateway (.+)$/m;
my ($grules) = $readme =~ /^ACL SETUSER ticket-gateway (.+)$/m;
ok($srules && $grules, 'README gives the gateway user\'s ACL for Redis '
                       . 'and for Sentinels');
s/>PASSWORD/>gw-pass-7/ for $srules, $grules;
$s[1]->redis_cmd('AUTH', 's3cret-for-sentinel-tls');
is($s[1]->redis_cmd('ACL', 'SETUSER', 'ticket-gateway', split ' ', $srules),
   'OK', 'the Sentinel takes README\'s line');
$t->redis_cmd('ACL', 'SETUSER', 'ticket-gateway', split(' ', $grules),
              '+role');
my $gpw = $t->write_file('gw.pw', "gw-pass-7\n");

# a second gateway that trusts the first one's key
my $g = TicketTest->new;
mkdir $g->dir . '/keys';
$g->write_file('keys/k1.jwks', $t->read_file($k->{jwks}));
$g->start(rev_conf(redis => "127.0.0.1:$stls[1] sentinel=$NAME tls "
                            . "tls_ca=$ca username=ticket-gateway "
                            . "password_file=$gpw"));
ok(rev_watch($g, $V, until => 200, limit => 10)->{reached},
   'a gateway with only those rights loads the lists through the '
   . 'Sentinel: a valid ticket 200');
my $gw = rev_watch($g, $tk, until => 401, limit => 10);
ok($gw->{reached}, 'and the revoked ticket 401');
is($gw->{last}{headers}{'x-reason'}, 'revoked', 'for being revoked');
ok(rev_poll(sub {
    $g->error_log =~ /following \+switch-master of "$NAME"/;
}, 10), 'and it listens for +switch-master with those rights')
    or diag($g->error_log);
$g->done;

# ---- what cannot work ------------------------------------------------------

($rc, $out, $err) = $t->ticketctl('revoke', '--sentinel',
    "rediss://127.0.0.1:$stls[0]", '--master', $NAME, '--password-file',
    $pw, '--tls-ca', $other, '--jti', 'x', '--exp', time + 600);
isnt($rc, 0, 'ticketctl trusting another CA: not written');
like($err, qr/no Sentinel .* named a primary/,
     'and it says that no Sentinel answered');

($rc, $out, $err) = $t->ticketctl('revoke', '--sentinel',
    "127.0.0.1:$stls[0],rediss://127.0.0.1:$stls[1]", '--master', $NAME,
    '--jti', 'x', '--exp', time + 600);
is($rc, 2, 'ticketctl: Sentinels of mixed schemes are a usage error');
like($err, qr/the same scheme and user/, 'and it says so');

$t->stop;

$t->start(rev_conf(stale => 1, redis => "127.0.0.1:$stls[0] sentinel=$NAME "
                                        . "tls tls_ca=$other "
                                        . "password_file=$pw"));
my $w = rev_watch($t, $V, until => 503, limit => 10);
ok($w->{reached}, 'a gateway trusting another CA fails closed: 503');
ok(rev_poll(sub {
    $t->error_log =~ /ticket redis "127\.0\.0\.1:$stls[0]": TLS handshake failed: certificate not verified/;
}, 10), 'and logs that the Sentinel\'s certificate is not verified');

$t->done;
$_->stop_redis for @s;
