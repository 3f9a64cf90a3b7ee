#!/usr/bin/perl
# ticketctl revoke --wait N (SPEC, issue 15): WAIT after the MULTI/EXEC;
# fewer replicas than N acknowledging within --wait-timeout is a failure
# (exit 2) that says the write is on the primary only.  With a replica
# attached the same command succeeds.  And the usage rules of --sentinel,
# --master, --wait and --wait-timeout.

use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use Time::HiRes qw(time sleep);
use TicketTest;
use RevTest;

plan(tests => 16);

my $t = TicketTest->new;
my $r = TicketTest->new;
my $exp = int(time) + 1800;
my $port = $t->start_redis;
my @to = ('--redis', "127.0.0.1:$port");

# no replica: WAIT 1 cannot be met
my ($rc, $out, $err) = $t->ticketctl('revoke', @to, '--jti', 'w1',
                                     '--exp', $exp, '--wait', '1',
                                     '--wait-timeout', '100');
is($rc, 2, 'no replica: --wait 1 fails with exit 2');
like($err, qr/WAIT: 0 of 1 replica acknowledged within 100 ms/,
     'no replica: the message says how many acknowledged');
like($err, qr/written to the primary \(event \d+-\d+\), but not known to be on 1 replica: a failover now could lose it/,
     'no replica: the message says the write is on the primary only');
is($out, '', 'no replica: no "revoked" line on stdout');
ok(defined $t->redis_cmd('ZSCORE', 'ticket:revoked:jti', 'w1'),
   'no replica: the row is on the primary');

# a replica: the same succeeds
$r->start_redis(args => ['--replicaof', '127.0.0.1', $port]);
ok(rev_poll(sub {
    ($r->redis_cmd('INFO', 'replication') // '')
        =~ /master_link_status:up/;
}, 10), 'the replica replicates');

($rc, $out, $err) = $t->ticketctl('revoke', @to, '--jti', 'w2',
                                  '--exp', $exp, '--wait', '1');
is($rc, 0, 'a replica: --wait 1 succeeds') or diag($err);
like($out, qr/^revoked jti "w2"/, 'a replica: the usual line');
ok(defined $r->redis_cmd('ZSCORE', 'ticket:revoked:jti', 'w2'),
   'a replica: the row is on the replica when ticketctl returns');

# more replicas asked for than there are
($rc, $out, $err) = $t->ticketctl('revoke', @to, '--jti', 'w3',
                                  '--exp', $exp, '--wait', '2',
                                  '--wait-timeout', '100');
like($err, qr/WAIT: 1 of 2 replicas acknowledged/, '--wait 2, one replica: '
                                                    . 'fails');

# usage
my @usage = (
    [ ['--sentinel', '127.0.0.1:1', @to], qr/--redis or --sentinel/ ],
    [ ['--sentinel', '127.0.0.1:1'], qr/--sentinel needs --master/ ],
    [ ['--master', 'm', @to], qr/--master goes with --sentinel/ ],
    [ ['--wait', '0', @to], qr/invalid --wait "0"/ ],
    [ ['--wait-timeout', '10', @to], qr/--wait-timeout goes with --wait/ ],
    [ ['--wait', '1', '--list', @to], qr/--wait goes with a write/ ],
);
for my $u (@usage) {
    ($rc, $out, $err) = $t->ticketctl('revoke', @{$u->[0]},
                                      $u->[0][0] eq '--wait'
                                      && $u->[0][2] eq '--list'
                                      ? () : ('--jti', 'x', '--exp', $exp));
    like($err, $u->[1], "usage: @{$u->[0]}[0, 1]") or diag($err);
}

$r->stop_redis;
$t->stop_redis;
