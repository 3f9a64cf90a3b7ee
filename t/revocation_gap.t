#!/usr/bin/perl
# Gaps in ticket:events (SPEC "Revocation in Redis": a gateway loads the
# lists in full after a gap in the stream).  Issue 16: a full load took the
# stream position before it scanned; a revocation written while a large
# list loaded, then trimmed away, was never applied (no gap logged), both
# when the stream was empty (or absent) at load and when it held entries.
# Each case is set up as the issue did: a large sub list, the gateway's
# connection killed so that it loads again, and during that load a
# revocation written and the stream trimmed to nothing.

use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use Time::HiRes qw(time sleep);
use TicketTest;
use RevTest;

plan(tests => 9);

my $ROWS = 200000;

my $t = TicketTest->new;
my $k = $t->keygen('ES256', 'k1');
$t->start_redis;
$t->start(rev_conf(stale => 30, timeout => '2s',
                   extra => 'ticket_shm_size 64m;'));

my $now = int(time);
my $exp = $now + 1800;

# a large list, so that a load takes a while
$t->redis_cmd('EVAL', <<'LUA', 1, 'ticket:revoked:sub', $ROWS, $now);
for i = 1, tonumber(ARGV[1]) do
    redis.call('HSET', KEYS[1], '/user' .. i, ARGV[2])
end
return 1
LUA

my $V0 = rev_mint($t, $k, sub => 'valid', jti => 'jti-valid');
# (the first load of a large list can take a while on a busy machine)
my $w = rev_watch($t, $V0, until => 200, limit => 60);
ok($w->{reached}, 'loaded: valid ticket 200');

# kill the gateway's connection; once its next load has begun, revoke
# $jti and trim the stream to nothing before that load ends
sub revoke_during_load {
    my ($jti, $stream) = @_;
    for my $try (1 .. 10) {
        my $log = $t->error_log;
        my $started = () = $log =~ /loading revocation lists/g;
        my $loaded = () = $log =~ /revocation lists loaded/g;

        $t->redis_cmd('DEL', 'ticket:events') if $stream eq 'absent';
        $t->redis_cmd('XTRIM', 'ticket:events', 'MAXLEN', '0')
            if $stream eq 'empty';
        $t->redis_cmd('CLIENT', 'KILL', 'TYPE', 'normal', 'SKIPME', 'yes');

        rev_poll(sub {
            my $n = () = $t->error_log =~ /loading revocation lists/g;
            $n > $started;
        }, 5) or next;

        rev_write($t, 'jti', $jti, $exp);
        $t->redis_cmd('XTRIM', 'ticket:events', 'MAXLEN', '0');

        # the write must have landed inside the load to be the case
        my $done = () = $t->error_log =~ /revocation lists loaded/g;
        return 1 if $done == $loaded;

        note("try $try: the load ended before the write, again");
        rev_poll(sub { rev_status($t, $V0) == 200 }, 60);
    }
    return 0;
}

for my $case (['absent', 'jti-gap-1'], ['empty', 'jti-gap-2'],
              ['entries', 'jti-gap-3'])
{
    my ($stream, $jti) = @$case;
    my $T = rev_mint($t, $k, sub => "s-$jti", jti => $jti, exp => $exp);

    # a stream with entries at load: one revocation before the kill
    rev_write($t, 'jti', "before-$jti", $exp) if $stream eq 'entries';

    ok(revoke_during_load($jti, $stream),
       "stream $stream at load: revoked and trimmed during the load");
    my $w = rev_watch($t, $T, until => 401, limit => 60);
    ok($w->{reached}, "stream $stream at load: the revocation applies")
        or diag("last statuses: @{$w->{statuses}}[-3 .. -1]");
}

like($t->error_log, qr/gap in "ticket:events"/, 'the gap is logged');

$t->done;
