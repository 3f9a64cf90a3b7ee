#!/usr/bin/perl
# Faults on the nginx side: the audit log's disk full, its file removed,
# and a binary upgrade (USR2, then QUIT of the old master) while requests
# and revocations flow: no revoked ticket passes, nothing crashes, and
# service goes on.

use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use Time::HiRes qw(time sleep);
use TicketTest;

plan(tests => 17);

# the audit log on a full disk: /dev/full fails every write with ENOSPC

my $t = TicketTest->new;
my $k = $t->keygen('ES256', 'k1');

$t->start(<<'EOF');
    server {
        listen 127.0.0.1:%%PORT%%;
        location /full/ {
            ticket user;
            ticket_keys %%DIR%%/keys/k1.jwks;
            ticket_audit_log /dev/full;
            proxy_pass http://127.0.0.1:%%PORT:backend%%;
        }
        location /file/ {
            ticket user;
            ticket_keys %%DIR%%/keys/k1.jwks;
            ticket_audit_log %%DIR%%/logs/audit.jsonl;
            proxy_pass http://127.0.0.1:%%PORT:backend%%;
        }
        location = /status {
            ticket_status;
        }
    }
    server {
        listen 127.0.0.1:%%PORT:backend%%;
        location / { return 200 "ok\n"; }
    }
EOF

my $good = $t->mint(key => $k->{key}, kid => 'k1', sub => 'g',
                    kind => 'user');

my $denied = 0;
for (1 .. 50) {
    $denied++ if $t->get('/full/x')->{status} == 401;
}
is($denied, 50, 'disk full: requests are still answered');

my $end = time + 5;
my $dropped = 0;
while (time < $end) {
    ($dropped) = $t->get('/status')->{body}
                 =~ /^ticket_audit_dropped_total (\d+)$/m;
    last if $dropped >= 50;
    sleep 0.1;
}
is($dropped, 50, 'disk full: every lost record is counted');
like($t->error_log, qr/\[crit\].*ticket audit: write to "\/dev\/full" failed/,
     'disk full: logged at crit');
my $crits = () = $t->error_log =~ /ticket audit: write to "\/dev\/full"/g;
is($crits, 1, 'disk full: logged once, not once a record');

# the file removed: records go to the removed file until USR1 reopens

$t->get('/file/a');
$end = time + 10;
sleep 0.05 while time < $end && !-s $t->dir . '/logs/audit.jsonl';
ok(-s $t->dir . '/logs/audit.jsonl', 'a record written');
unlink $t->dir . '/logs/audit.jsonl';
$t->get('/file/b');
my $reopened = $t->reopened;
kill 'USR1', $t->{pid};
# the master creates the file, then tells the worker: a record taken
# before the worker reopens is flushed to the removed file (as nginx's own
# access_log does), so wait for the worker's "reopening logs" too
$t->wait_reopened($reopened, 2);
ok(-e $t->dir . '/logs/audit.jsonl', 'USR1 creates the file again');
$t->get('/file/c');
$end = time + 5;
my $audit = '';
while (time < $end) {
    $audit = $t->read_file('logs/audit.jsonl');
    last if $audit =~ m{"/file/c"};
    sleep 0.05;
}
like($audit, qr{"uri":"/file/c"}, 'records after the reopen land in it');
is($t->get('/file/d', ticket => $good)->{status}, 200,
   'service went on throughout');

$t->done;

# a binary upgrade while requests and revocations flow

my $u = TicketTest->new;
$u->start_redis;
my $ku = $u->keygen('ES256', 'k1');

$u->start(<<'EOF', workers => 2, daemon => 1);
    ticket_redis 127.0.0.1:%%PORT:redis%% timeout=300ms;
    server {
        listen 127.0.0.1:%%PORT%%;
        location / {
            ticket user;
            ticket_keys %%DIR%%/keys/k1.jwks;
            proxy_pass http://127.0.0.1:%%PORT:backend%%;
        }
    }
    server {
        listen 127.0.0.1:%%PORT:backend%%;
        location / { return 200 "ok\n"; }
    }
EOF

my @tickets = map {
    $u->mint(key => $ku->{key}, kid => 'k1', sub => "u$_", kind => 'user',
             jti => "up-$_")
} 1 .. 20;
my $valid = $u->mint(key => $ku->{key}, kid => 'k1', sub => 'valid',
                     kind => 'user');

$end = time + 5;
sleep 0.02 while time < $end
                 && $u->get('/', ticket => $valid)->{status} != 200;

my $exp = int(time + 3600);
my %revoked;
my $leak = 0;
my %valid_st;
my $old_master = $u->{pid};

sub revoke_next {
    my ($i) = @_;
    $u->redis_cmd('MULTI');
    $u->redis_cmd('ZADD', 'ticket:revoked:jti', $exp, "up-$i");
    $u->redis_cmd('XADD', 'ticket:events', '*', 'op', 'revoke', 'list',
                  'jti', 'member', "up-$i", 'value', $exp);
    $u->redis_cmd('EXEC');
    $revoked{$i} = time;
}

sub sweep {
    for my $i (keys %revoked) {
        # a revocation gets 1 s to land; after that a 200 is a leak
        next if time - $revoked{$i} < 1;
        $leak++ if $u->get('/', ticket => $tickets[$i - 1])->{status} == 200;
    }
    $valid_st{$u->get('/', ticket => $valid)->{status}}++;
}

revoke_next($_) for 1 .. 5;
sleep 1.1;
sweep();

kill 'USR2', $old_master;

# the new master writes nginx.pid; the old one's becomes nginx.pid.oldbin
my $new_master;
$end = time + 10;
while (time < $end) {
    sweep();
    my $pidfile = $u->read_file('logs/nginx.pid');
    ($new_master) = $pidfile =~ /(\d+)/;
    last if $new_master && $new_master != $old_master
            && -e $u->dir . '/logs/nginx.pid.oldbin';
    sleep 0.05;
}
ok($new_master && $new_master != $old_master, 'USR2: a new master runs');

revoke_next($_) for 6 .. 10;

for (1 .. 20) {
    sweep();
}

kill 'QUIT', $old_master;
$end = time + 10;
while (time < $end) {
    sweep();
    last unless kill 0, $old_master;      # not our child: no waitpid
    sleep 0.05;
}
ok(!kill(0, $old_master), 'the old master has left');

revoke_next($_) for 11 .. 15;
sleep 1.1;
sweep() for 1 .. 10;

is($leak, 0, 'no revoked ticket passed at any point of the upgrade');
is($u->get('/', ticket => $tickets[11])->{status}, 401,
   'a revocation written after the upgrade is refused');
is($u->get('/', ticket => $tickets[19])->{status}, 200,
   'an untouched ticket passes after the upgrade');
my @bad = grep { $_ != 200 && $_ != 503 } keys %valid_st;
is(scalar @bad, 0, 'a valid ticket saw only 200 (or 503 while loading)')
    or diag(explain \%valid_st);

# the new master is the one to stop now
$u->{pid} = $new_master;
kill 'QUIT', $new_master;
$end = time + 10;
sleep 0.05 while time < $end && kill(0, $new_master);
ok(!kill(0, $new_master), 'the new master stopped');
delete $u->{pid};

$u->done;
