#!/usr/bin/perl
# ticket_redis ... sentinel=NAME and ticketctl revoke --sentinel --master
# --wait (SPEC, issue 15): one primary, one replica, three Sentinels
# (quorum 2).  While revocations are written (each with WAIT 1) and
# requests carry the revoked tickets, the primary is killed (SIGKILL);
# Sentinel promotes the replica, the gateway and ticketctl follow it.
# Every revocation ticketctl reported as written is refused afterwards,
# and no request with a ticket the gateway had once refused as revoked
# ever gets a 200.  Then the Sentinels stop one by one: the gateway and
# ticketctl keep working while one answers.

use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use Time::HiRes qw(time sleep);
use TicketTest;
use RevTest;

plan(tests => 17);

my $NAME = 'mymaster';

my $t = TicketTest->new;                    # nginx, and the first primary
my $r = TicketTest->new;                    # the replica
my @s = map { TicketTest->new } 1 .. 3;     # the Sentinels
my $k = $t->keygen('ES256', 'k1');
my $exp = int(time) + 1800;

my ($pport, $rport) = rev_replica($t, $r);

$_->start_sentinel($pport, name => $NAME, quorum => 2, down_after => 1000,
                   failover_timeout => 3000) for @s;

# a failover needs the Sentinels to know each other and the replica
ok(rev_poll(sub { TicketTest->sentinels_ready(\@s, $NAME, 1) }, 30),
   'three Sentinels know each other and the replica');

# first a Sentinel that never answers: the turn passes to the next
my @saddr = ('127.0.0.1:' . $t->port('no-sentinel'),
             map { '127.0.0.1:' . $_->port('redis') } @s);
my $sentinels = join ',', @saddr;

my ($rc0, $out0) = $t->nginx_test(rev_conf(redis => "@saddr sentinel="));
like($out0, qr/invalid parameter "sentinel="/, 'nginx -t: sentinel= needs a '
                                               . 'name');

$t->start(rev_conf(stale => 5, redis => "@saddr sentinel=$NAME"));

sub revoke {
    my ($jti) = @_;
    return $t->ticketctl('revoke', '--sentinel', $sentinels,
                         '--master', $NAME, '--wait', '1',
                         '--wait-timeout', '500', '--jti', $jti,
                         '--exp', $exp, '--reason', 'sentinel test');
}

sub primary_port {
    for my $sn (@s) {
        my $a = eval { $sn->redis_cmd('SENTINEL', 'get-master-addr-by-name',
                                      $NAME) };
        return $a->[1] if ref $a eq 'ARRAY';
    }
    return 0;
}

my $V = rev_mint($t, $k, sub => 'valid', jti => 'jti-valid');
ok(rev_watch($t, $V, until => 200, limit => 10)->{reached},
   'through Sentinel: valid ticket 200');

# ---- the stream, and the primary killed in the middle --------------------

my (@confirmed, %first401);
my %n = (written => 0, failed => 0, failed_wait => 0, requests => 0, revoked_requests => 0,
         revoked_200 => 0, window_requests => 0, window_200 => 0,
         never_refused => 0, written_after_kill => 0);
my ($killed, $restarted, $failed_over) = (0, 0, 0);
my $end = time + 120;
my $i = 0;

# every ticket the gateway has once refused as revoked, asked again
sub recheck {
    for my $tk (@confirmed) {
        my $st = rev_status($t, $tk);
        $n{requests}++;
        $n{revoked_requests}++;
        $n{revoked_200}++ if $st == 200;
    }
}

while (time < $end) {
    $i++;
    my $tk = rev_mint($t, $k, sub => "u$i", jti => "j$i", exp => $exp);
    my ($rc, $out, $err) = revoke("j$i");

    if ($rc != 0) {
        $n{failed}++;
        # WAIT: on the primary only (no replica yet); else no primary
        $n{failed_wait}++ if $err =~ /WAIT: \d+ of 1 replica/;
        note("j$i not written: $err");
    } else {
        $n{written}++;
        $n{written_after_kill}++ if $killed;

        # until the gateway refuses it: the propagation window
        my $t0 = time;
        my $st = 0;
        while (time - $t0 < 20) {
            $st = rev_status($t, $tk);
            $n{requests}++;
            last if $st == 401;
            $n{window_requests}++;
            $n{window_200}++ if $st == 200;
            sleep 0.02;
        }
        if ($st == 401) {
            push @confirmed, $tk;
        } else {
            $n{never_refused}++;
            diag("j$i: written, still $st after 20 s");
        }
    }

    recheck();

    if (!$killed && $n{written} >= 10) {
        kill 'KILL', $t->redis_pid;
        waitpid $t->redis_pid, 0;
        delete $t->{redis_pid};
        delete $t->{redis_sock};
        $killed = 1;
        note("primary killed after $n{written} revocations");
    }

    if ($killed && !$failed_over && primary_port() == $rport) {
        $failed_over = 1;
        note("Sentinel promoted the replica");
    }

    # the old primary back: Sentinel makes it the new primary's replica,
    # so that WAIT 1 can be met again
    if ($failed_over && !$restarted) {
        $t->start_redis;
        $restarted = 1;
    }

    last if $n{written_after_kill} >= 10;
    sleep 0.1 if $rc != 0;
}

ok($killed && $failed_over, 'the primary was killed and Sentinel failed '
                            . 'over to the replica');
ok($n{written_after_kill} >= 10, 'revocations written after the failover: '
                                 . $n{written_after_kill});

# every revocation reported as written is refused now
my $refused = 0;
for my $tk (@confirmed) {
    my $w = rev_watch($t, $tk, until => 401, limit => 10);
    $n{requests} += @{$w->{statuses}};
    $n{revoked_requests} += @{$w->{statuses}};
    $n{revoked_200} += grep { $_ == 200 } @{$w->{statuses}};
    $refused++ if $w->{reached};
}

is($n{never_refused}, 0, 'every revocation ticketctl wrote was refused');
is($refused, $n{written}, "all $n{written} written revocations refused "
                          . 'at the end');
is($n{revoked_200}, 0, 'no request with a revoked ticket got a 200');

diag(sprintf "failover: %d revocations written (%d after the kill), %d "
     . "writes failed (%d of them WAIT: on the primary only); %d requests "
     . "with revoked tickets, %d of them 200; propagation window: %d "
     . "requests, %d of them 200",
     $n{written}, $n{written_after_kill}, $n{failed}, $n{failed_wait},
     $n{revoked_requests}, $n{revoked_200}, $n{window_requests},
     $n{window_200});

# ---- the Sentinels go away one by one ------------------------------------

my $new = TicketTest->new;       # a client of the new primary
$new->{redis_port} = $rport;

for my $gone (0, 1) {
    $s[$gone]->stop_redis;

    # the gateway's connection cut (to the primary, or to the old one now
    # a replica it may read from): it must ask the Sentinels again
    $new->redis_cmd('CLIENT', 'KILL', 'TYPE', 'normal');
    delete $new->{redis_sock};
    $t->redis_cmd('CLIENT', 'KILL', 'TYPE', 'normal');
    delete $t->{redis_sock};

    my $jti = "after-sentinel-$gone";
    my $tk = rev_mint($t, $k, sub => $jti, jti => $jti, exp => $exp);
    my $ok = rev_poll(sub { (revoke($jti))[0] == 0 }, 20);
    ok($ok, 'Sentinel ' . ($gone + 1) . ' stopped: ticketctl finds the '
            . 'primary');
    my $w = rev_watch($t, $tk, until => 401, limit => 10);
    ok($w->{reached}, 'Sentinel ' . ($gone + 1) . ' stopped: the gateway '
                      . 'refuses the new revocation')
        or diag("statuses: @{$w->{statuses}}[-5 .. -1]");
}

like($t->error_log, qr/ticket redis "\Q$saddr[0]\E": connect failed/,
     'the Sentinel that does not answer was tried first');
like($t->error_log, qr/reading from the replica 127\.0\.0\.1:$rport\b/,
     'before the failover the gateway reads from the replica');
like($t->error_log, qr/sentinel "127\.0\.0\.1:\d+": the primary of "$NAME" is 127\.0\.0\.1:$rport/,
     'the error log names the new primary Sentinel gave');

$t->done;
$r->stop_redis;
$_->stop_redis for @s;
