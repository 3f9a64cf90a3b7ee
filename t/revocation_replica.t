#!/usr/bin/perl
# ticket_redis PRIMARY REPLICA (SPEC: several addresses are tried in order,
# a replica can serve the reads when the primary is gone).  Issue 16: a
# replica whose link to its primary was down kept answering empty XREADs,
# so the state looked fresh while every new revocation was missed, and
# the gateway stayed there after the primary came back.  A replica is
# current only while INFO replication says master_link_status:up and
# master_last_io_seconds_ago is within ticket_revocation_max_stale; the
# gateway goes back to the first address that answers, in order.

use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use Time::HiRes qw(time sleep);
use TicketTest;
use RevTest;

plan(tests => 9);

my $t = TicketTest->new;     # the primary, and nginx
my $r = TicketTest->new;     # the replica
my $k = $t->keygen('ES256', 'k1');
my $exp = int(time) + 1800;

my ($pport, $rport) = rev_replica($t, $r);

$t->start(rev_conf(stale => 2,
                   redis => "127.0.0.1:$pport 127.0.0.1:$rport"));

my $V = rev_mint($t, $k, sub => 'valid', jti => 'jti-valid');
my $w = rev_watch($t, $V, until => 200);
ok($w->{reached}, 'on the primary: valid ticket 200');

# the replica stops replicating (its primary gone), keeping its data
$r->redis_cmd('REPLICAOF', '127.0.0.1', $t->port('nowhere'));
ok(rev_poll(sub {
    ($r->redis_cmd('INFO', 'replication') // '')
        =~ /master_link_status:down/;
}, 10), 'the replica no longer replicates');

# the primary goes away: the gateway may only try the replica
$t->stop_redis;
$w = rev_watch($t, $V, until => 503, limit => 6);
ok($w->{reached}, 'replica not replicating: 503 once max_stale has passed')
    or diag("statuses: @{$w->{statuses}}[-5 .. -1]");
is_deeply([grep { $_ != 200 && $_ != 503 } @{$w->{statuses}}], [],
          'replica not replicating: only 200 then 503');
like($t->error_log, qr/master_link_status/,
     'the error log says why the replica is not trusted');

# the primary comes back, and a revocation is written there
$t->start_redis;
my $R = rev_mint($t, $k, sub => 'r', jti => 'jti-r', exp => $exp);
rev_write($t, 'jti', 'jti-r', $exp);
$w = rev_watch($t, $R, until => 401, limit => 8);
ok($w->{reached}, 'primary back: the gateway follows it again, revoked 401')
    or diag("statuses: @{$w->{statuses}}[-5 .. -1]");
$w = rev_watch($t, $V, until => 200, limit => 5);
ok($w->{reached}, 'primary back: valid ticket 200');

$t->done;
$r->stop_redis;
