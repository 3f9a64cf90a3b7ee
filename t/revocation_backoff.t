#!/usr/bin/perl
# Reconnecting after Redis was away (README: the 503 ends within a second
# of Redis returning; a revocation reaches every worker within a second).
# Issue 16: the reconnect backoff grew to 2 s, so the 503 ended up to
# 1.8 s after Redis returned.  While Redis is down the gateway tries at
# least every half second, and right after a restart both promises hold.

use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use Time::HiRes qw(time sleep);
use TicketTest;
use RevTest;

plan(tests => 8);

my $t = TicketTest->new;
my $k = $t->keygen('ES256', 'k1');
$t->start_redis;
$t->start(rev_conf(stale => 1), workers => 2);

my $V = rev_mint($t, $k, sub => 'valid', jti => 'jti-valid');
my $w = rev_watch($t, $V, until => 200);
ok($w->{reached}, 'loaded: valid ticket 200');

for my $round (1, 2) {
    $t->stop_redis;
    $w = rev_watch($t, $V, until => 503, limit => 4);
    ok($w->{reached}, "round $round: Redis down: 503");

    # down long enough for any backoff to reach its cap
    my $before = () = $t->error_log =~ /connect failed/g;
    my $t0 = time;
    rev_watch($t, $V, for => 6);
    my $tries = (() = $t->error_log =~ /connect failed/g) - $before;
    my $secs = time - $t0;
    note(sprintf 'round %d: %d connect attempts in %.1f s', $round, $tries,
         $secs);

    $t->start_redis;
    $w = rev_watch($t, $V, until => 200, limit => 5);
    note(sprintf 'round %d: 200 again %.0f ms after Redis started', $round,
         ($w->{at} // -1) * 1000);
    ok($w->{reached} && $w->{at} < 1,
       "round $round: 200 within a second of Redis returning")
        or diag(sprintf '%.2f s; %d attempts in %.1f s', $w->{at} // -1,
                $tries, $secs);

    if ($round == 2) {
        my $R = rev_mint($t, $k, sub => 'r', jti => 'jti-after-restart');
        rev_write($t, 'jti', 'jti-after-restart', int(time) + 600);
        $w = rev_watch($t, $R, until => 401, limit => 5);
        note(sprintf 'revocation after restart applied in %.0f ms',
             ($w->{at} // -1) * 1000);
        ok($w->{reached} && $w->{at} < 1,
           'a revocation right after the restart applies within a second');
        ok($tries >= 2 * int($secs),
           'while Redis is down: a connect attempt at least every 0.5 s')
            or diag("$tries attempts in $secs s");
    }
}

$t->done;
