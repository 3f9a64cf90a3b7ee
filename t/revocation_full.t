#!/usr/bin/perl
# A full revocation zone (SPEC: logged at crit, then the gateway fails
# closed, never forgetting a revocation to make room).  Issue 16: one
# [crit] line per refused entry, about 2,000 in 12 s.  Now: one line a
# minute, with the count of revocations refused.

use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use Time::HiRes qw(time sleep);
use TicketTest;
use RevTest;

plan(tests => 6);

my $N = 3000;

my $t = TicketTest->new;
my $k = $t->keygen('ES256', 'k1');
$t->start_redis;
$t->start(rev_conf(stale => 30, extra => 'ticket_shm_size 32k;'));

my $V = rev_mint($t, $k, sub => 'valid', jti => 'jti-valid');
my $w = rev_watch($t, $V, until => 200);
ok($w->{reached}, 'an empty zone: valid ticket 200');

# many revocations as a writer writes them, each row with its entry
my $exp = int(time) + 3600;
$t->redis_cmd('EVAL', <<'LUA', 2, 'ticket:revoked:jti', 'ticket:events', $N, $exp);
for i = 1, tonumber(ARGV[1]) do
    redis.call('ZADD', KEYS[1], ARGV[2], 'filler-' .. i)
    redis.call('XADD', KEYS[2], '*', 'op', 'revoke', 'list', 'jti',
               'member', 'filler-' .. i, 'value', ARGV[2])
end
return 1
LUA

$w = rev_watch($t, $V, until => 503, limit => 10);
ok($w->{reached}, 'zone full: valid ticket 503');

$w = rev_watch($t, $V, for => 2);
is_deeply([grep { $_ != 503 } @{$w->{statuses}}], [],
          'zone full: stays 503');

my @crit = $t->error_log =~ /^(.*\[crit\].*revocation zone is full.*)$/mg;
note(scalar(@crit) . " crit lines; the first: " . ($crit[0] // ''));
cmp_ok(scalar(@crit), '<=', 2, 'zone full: at most a line or two, not one '
                                 . 'per refused entry');
like($crit[0] // '', qr/\d+ revocations? refused/,
     'zone full: the line counts what was refused');

$t->done;
