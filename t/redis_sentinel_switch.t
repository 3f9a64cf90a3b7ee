#!/usr/bin/perl
# sentinel=: the gateway follows +switch-master (issue 15), and does not
# wait for its connection to fail.  The case that needs it: a failover
# whose old primary the Sentinels cannot demote (here its REPLICAOF and
# SLAVEOF are renamed away, as a primary cut off from the Sentinels but
# not from the gateway would be).  It goes on answering ROLE "master" and
# INFO "role:master", so nothing on the gateway's own connection says
# that it is stale; ticketctl revoke --sentinel writes to the new primary.
# Before each worker followed +switch-master, that revocation never
# reached the gateway: the revoked ticket got 200 for as long as the old
# primary ran.  Then the Sentinel the gateway listens to stops, and it
# listens to the next.

use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use Time::HiRes qw(time sleep);
use TicketTest;
use RevTest;

plan(tests => 12);

my $NAME = 'gw';

my $t = TicketTest->new;                    # nginx, and the old primary
my $r = TicketTest->new;                    # the replica promoted
my @s = map { TicketTest->new } 1 .. 3;     # the Sentinels
my $k = $t->keygen('ES256', 'k1');
my $exp = int(time) + 1800;

my $pport = $t->start_redis(args => [
    '--rename-command', 'REPLICAOF', 'replicaof-not-for-sentinel',
    '--rename-command', 'SLAVEOF', 'slaveof-not-for-sentinel']);

$_->start_sentinel($pport, name => $NAME, quorum => 2, down_after => 1000,
                   failover_timeout => 3000) for @s;

my @saddr = map { '127.0.0.1:' . $_->port('redis') } @s;
my $sentinels = join ',', @saddr;

# no replica yet: the gateway reads from the primary
$t->start(rev_conf(stale => 5, redis => "@saddr sentinel=$NAME"));

my $V = rev_mint($t, $k, sub => 'valid', jti => 'jti-valid');
ok(rev_watch($t, $V, until => 200, limit => 10)->{reached},
   'through Sentinel, on the primary: valid ticket 200');
ok(rev_poll(sub {
    $t->error_log =~ /following \+switch-master of "$NAME"/;
}, 10), 'the worker listens to a Sentinel for +switch-master');

my $rport = $r->start_redis(args => ['--replicaof', '127.0.0.1', $pport]);


ok(rev_poll(sub { TicketTest->sentinels_ready(\@s, $NAME, 1) }, 30),
   'three Sentinels know each other and the replica');
ok(rev_poll(sub {
    ($r->redis_cmd('INFO', 'replication') // '')
        =~ /master_link_status:up/;
}, 10), 'the replica replicates');

unlike($t->error_log, qr/reading from the replica/,
       'the gateway was reading from the primary');

my $tk = rev_mint($t, $k, sub => 'mallory', jti => 'jti-switch',
                  exp => $exp);
is(rev_status($t, $tk), 200, 'before the failover: 200');

# ---- a failover the old primary does not hear of -------------------------

# SENTINEL FAILOVER is refused or aborted when the Sentinel does not yet
# count the replica as a good one (its INFO older than it likes, on a
# loaded machine): asked again while no Sentinel names the replica
sub named {
    return scalar grep {
        my $a = eval { $_->redis_cmd('SENTINEL', 'get-master-addr-by-name',
                                     $NAME) };
        ref $a eq 'ARRAY' && $a->[1] == $rport;
    } @s;
}
my $asked = 0;
ok(rev_poll(sub {
    if (!named() && time >= $asked + 10) {
        my $a = $s[1]->redis_cmd('SENTINEL', 'FAILOVER', $NAME);
        note('SENTINEL FAILOVER: ' . (ref $a ? $a->{error} // '?' : $a))
            if $asked;
        $asked = time;
    }
    return named() == @s;
}, 60), 'every Sentinel names the replica the primary')
    or diag(join '', map { $_->read_file('logs/redis.log') } @s);

like($t->redis_cmd('INFO', 'replication') // '', qr/role:master/,
     'the old primary still says it is one');

my ($rc, $out, $err) = $t->ticketctl('revoke', '--sentinel', $sentinels,
                                     '--master', $NAME, '--jti',
                                     'jti-switch', '--exp', $exp,
                                     '--reason', 'switch-master test');
is($rc, 0, 'ticketctl revoke --sentinel writes to the new primary')
    or diag($err);

my $w = rev_watch($t, $tk, until => 401, limit => 15);
ok($w->{reached}, 'the gateway follows +switch-master: the revoked ticket '
                  . 'is refused')
    or diag("statuses: @{$w->{statuses}}[-5 .. -1]");
diag(sprintf 'switch-master: the revoked ticket refused %.2f s after '
     . 'ticketctl returned', $w->{at} // -1);

# ---- the Sentinel it listens to goes away --------------------------------

my $before = () = $t->error_log =~ /following \+switch-master of/g;
$_->stop_redis for @s[0, 1];
ok(rev_poll(sub {
    my $n = () = $t->error_log =~ /following \+switch-master of/g;
    $n > $before;
}, 15), 'two Sentinels stopped: the worker listens to the third');

$t->done;
$r->stop_redis;
$s[2]->stop_redis;
