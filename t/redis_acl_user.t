#!/usr/bin/perl

# A Redis ACL user with only the rights the README names (the test reads
# the ACL SETUSER lines from README.md, so the docs cannot drift): the
# gateway loads and follows the lists as "ticket-gateway", ticketctl
# revokes as "ticket-writer" (redis://USER@HOST:PORT), and the gateway's
# user cannot write.  A wrong password is logged with Redis's words
# (WRONGPASS) and the gateway never loads; a password changed under a
# running gateway: the lists it holds are served until max_stale, then
# 503, a revoked ticket never 200; a command the ACL takes away is logged
# (NOPERM); and all is well again once the rights are back.
#
#   TICKET_BUILD=build prove -v t/redis_acl_user.t

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";

use Test::More;
use TicketTest;
use RevTest;

plan(tests => 28);

my $readme = TicketTest->new->read_file("$FindBin::Bin/../README.md");
my %acl = $readme =~ /^ACL SETUSER (ticket-\w+) (.+)$/mg;

ok($acl{'ticket-gateway'} && $acl{'ticket-writer'},
   'README names a gateway and a writer ACL user');

my $t = TicketTest->new;
my $port = $t->start_redis;

for my $user (sort keys %acl) {
    (my $rules = $acl{$user}) =~ s/>PASSWORD/>pw-$user/;
    my $r = $t->redis_cmd('ACL', 'SETUSER', $user, split ' ', $rules);
    is($r, 'OK', "README's ACL line for $user is accepted")
        or diag(explain($r));
}

$t->write_file('gateway.pw', "pw-ticket-gateway\n");
$t->write_file('writer.pw', "pw-ticket-writer\n");
$t->write_file('wrong.pw', "not-the-password\n");

my $k = $t->keygen('ES256', 'k1');
$t->start(rev_conf(redis => "127.0.0.1:$port username=ticket-gateway "
                            . "password_file=%%DIR%%/gateway.pw"));

my $V = rev_mint($t, $k, sub => 'valid', jti => 'jti-valid');
my $R = rev_mint($t, $k, sub => 'revoked', jti => 'jti-revoked');
my $w = rev_watch($t, $V, until => 200, limit => 10);
ok($w->{reached}, 'gateway user: lists loaded, a valid ticket 200');

my ($rc, $out, $err) = $t->ticketctl('revoke', '--redis',
                                     "redis://ticket-writer\@127.0.0.1:$port",
                                     '--password-file', "$t->{dir}/writer.pw",
                                     '--ticket', $R);
is($rc, 0, 'writer user: ticketctl revoke over redis://USER@') or diag($err);
$w = rev_watch($t, $R, until => 401, limit => 5);
ok($w->{reached}, 'the revocation reaches the gateway user: 401');

($rc, $out, $err) = $t->ticketctl('revoke', '--redis',
                                  "redis://ticket-writer\@127.0.0.1:$port",
                                  '--password-file', "$t->{dir}/writer.pw",
                                  '--list');
is($rc, 0, 'writer user: --list');
like($out, qr/jti-revoked/, '... shows the revocation');

($rc, $out, $err) = $t->ticketctl('revoke', '--redis',
                                  "redis://ticket-gateway\@127.0.0.1:$port",
                                  '--password-file', "$t->{dir}/gateway.pw",
                                  '--jti', 'jti-x', '--exp', '+1h');
is($rc, 2, 'gateway user: cannot write');
like($err, qr/NOPERM/, '... Redis says NOPERM');

($rc, $out, $err) = $t->ticketctl('revoke', '--redis',
                                  "redis://ticket-writer\@127.0.0.1:$port",
                                  '--password-file', "$t->{dir}/wrong.pw",
                                  '--jti', 'jti-x', '--exp', '+1h');
ok($rc == 2 && $err =~ /AUTH: WRONGPASS/,
   'ticketctl: a wrong password fails with WRONGPASS') or diag($err);

# the URL's other forms: a password and a database in it, and mistakes
($rc, $out, $err) = $t->ticketctl('revoke', '--redis',
    "redis://ticket-writer:pw-ticket-writer\@127.0.0.1:$port/0", '--list');
is($rc, 0, 'ticketctl: redis://USER:PASSWORD@HOST:PORT/DB') or diag($err);
($rc, $out, $err) = $t->ticketctl('revoke', '--redis',
    "redis://ticket-writer:wrong-pw\@127.0.0.1:$port", '--list');
ok($rc == 2 && $err !~ /wrong-pw/,
   'ticketctl: a failure never shows the URL\'s password') or diag($err);
($rc, $out, $err) = $t->ticketctl('revoke', '--redis',
    "redis://127.0.0.1:$port/x", '--list');
ok($rc == 2 && $err =~ /invalid database/, 'ticketctl: a bad /DB is a '
   . 'usage error') or diag($err);
($rc, $out, $err) = $t->ticketctl('revoke', '--redis',
    "redis://127.0.0.1:$port/0", '--db', '1', '--list');
ok($rc == 2 && $err =~ /one of them/, 'ticketctl: /DB and --db together '
   . 'are refused') or diag($err);
# mistakes that hold a password are refused without repeating it
($rc, $out, $err) = $t->ticketctl('revoke', '--redis',
    "redis://admin:s3cr/et-pw\@127.0.0.1:$port", '--list');
ok($rc == 2 && $err =~ /%2F/ && $err !~ /s3cr/,
   'ticketctl: a "/" in the password: refused, the password not shown')
    or diag($err);
($rc, $out, $err) = $t->ticketctl('revoke', '--redis',
    "admin:s3cret-pw\@127.0.0.1:$port", '--list');
ok($rc == 2 && $err =~ /URL/ && $err !~ /s3cret/,
   'ticketctl: USER:PASSWORD@ without a scheme: refused, not shown')
    or diag($err);

# ---- a wrong password: never loaded, never 200, logged -------------------

my $u = TicketTest->new;
$u->{redis_port} = $port;
$u->write_file('wrong.pw', "not-the-password\n");
my $uk = $u->keygen('ES256', 'k1');
$u->start(rev_conf(redis => "127.0.0.1:$port username=ticket-gateway "
                            . "password_file=%%DIR%%/wrong.pw"));
my $uV = rev_mint($u, $uk, sub => 'valid', jti => 'jti-u');
$w = rev_watch($u, $uV, for => 2);
is_deeply([grep { $_ != 503 } @{$w->{statuses}}], [],
          'wrong password: every request 503, never 200');
like($u->error_log, qr/AUTH refused: WRONGPASS/,
     'wrong password: logged with Redis\'s words');
$u->done;

# ---- the password changed under a running gateway: stale, then closed -----

$t->redis_cmd('ACL', 'SETUSER', 'ticket-gateway', 'resetpass', '>changed');
$t->redis_cmd('CLIENT', 'KILL', 'USER', 'ticket-gateway');

my %seen;
$seen{$_}++ for @{rev_watch($t, $R, for => 1)->{statuses}};
ok($seen{401}, 'password changed: the lists held still refuse the revoked '
   . 'ticket (401) while fresh enough');
$w = rev_watch($t, $V, until => 503, limit => 8);
ok($w->{reached}, 'password changed: 503 once max_stale has passed');
$seen{$_}++ for @{rev_watch($t, $R, for => 1)->{statuses}};
is_deeply([grep { $_ == 200 } keys %seen], [],
          'password changed: the revoked ticket never 200');
like($t->error_log, qr/ticket redis "127\.0\.0\.1:$port": AUTH refused: WRONGPASS/,
     'password changed: the refused AUTH is logged');

$t->redis_cmd('ACL', 'SETUSER', 'ticket-gateway', 'resetpass',
              '>pw-ticket-gateway');
$w = rev_watch($t, $V, until => 200, limit => 12);
ok($w->{reached}, 'password back: 200 again');

# ---- a right taken away: logged, failing closed ---------------------------

$t->redis_cmd('ACL', 'SETUSER', 'ticket-gateway', '-xread');
$t->redis_cmd('CLIENT', 'KILL', 'USER', 'ticket-gateway');
$w = rev_watch($t, $V, until => 503, limit => 8);
ok($w->{reached}, 'XREAD taken away: 503 once max_stale has passed');
like($t->error_log, qr/XREAD failed: NOPERM/,
     'XREAD taken away: the denied command is logged');

$t->done;
