#!/usr/bin/perl
# A jti row holds until the ticket it names can no longer be valid,
# whatever exp the writer gave (SPEC "Revocation in Redis").  Issue 16:
# `ticketctl revoke --jti J --exp now` revoked the ticket for about a
# minute; then pruning dropped the row and the ticket was served again.
# The gateway now keeps a jti row until its exp, or until the time it was
# applied plus the largest ticket_max_lifetime and leeway, if later.

use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use Time::HiRes qw(time sleep);
use TicketTest;
use RevTest;

plan(tests => 6);

my $t = TicketTest->new;
my $k = $t->keygen('ES256', 'k1');
my $rport = $t->start_redis;
$t->start(rev_conf(stale => 30,
                   extra => 'ticket_leeway 2s; ticket_max_lifetime 1h;'));

my $now = int(time);
my $J = rev_mint($t, $k, sub => 'leaky', jti => 'jti-leaked',
                 exp => $now + 1800);
my $w = rev_watch($t, $J, until => 200);
ok($w->{reached}, 'before: the ticket 200');

# ticketctl refuses an exp in the past: it names a ticket already refused
# as expired, or it is wrong
my ($rc, $o, $e) = $t->ticketctl('revoke', '--redis', "127.0.0.1:$rport",
                                 '--jti', 'jti-leaked', '--exp', '-10m',
                                 '--reason', 'leaked');
ok($rc == 2 && $e =~ /--exp "-10m" is in the past/,
   'ticketctl revoke --jti J --exp -10m: refused, exit 2') or diag($e);

# another writer (a script, an older ticketctl) gives a wrong exp, long
# past, as SPEC's layout allows any writer to
my $past = $now - 600;
$t->redis_cmd('ZADD', 'ticket:revoked:jti', $past, 'jti-leaked');
$t->redis_cmd('XADD', 'ticket:events', '*', 'op', 'revoke', 'list', 'jti',
              'member', 'jti-leaked', 'value', $past, 'reason', 'leaked');
$w = rev_watch($t, $J, until => 401);
ok($w->{reached}, 'revoked: 401');

# pruning runs every 10 s: watch through more than one pass
$w = rev_watch($t, $J, for => 22);
is_deeply([grep { $_ != 401 } @{$w->{statuses}}], [],
          'through two pruning passes: still 401 (the row is held)')
    or diag(scalar(grep { $_ == 200 } @{$w->{statuses}}) . ' times 200');
is(rev_entries($t, 'jti'), 1, 'the gateway holds the jti row');

$t->done;
