#!/usr/bin/perl
# Cut-offs and ticket_leeway (SPEC "Revocation in Redis"): a sub, sid or
# tenant row revokes every ticket whose iat is at or before the cut-off
# plus ticket_leeway, since a ticket with an iat that far ahead of the
# gateway's clock is accepted.  Issue 16: an issuer whose clock runs 25 s
# ahead issued a ticket "after" the employee left; it survived.

use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use Time::HiRes qw(time);
use TicketTest;
use RevTest;

plan(tests => 8);

my $t = TicketTest->new;
my $k = $t->keygen('ES256', 'k1');
$t->start_redis;
$t->start(rev_conf(stale => 30, extra => 'ticket_leeway 30s;'));

my $now = int(time);
my $cut = $now - 5;

# issued "25 s after" the cut-off by a clock running ahead: within leeway
my %tk = (
    sub    => rev_mint($t, $k, sub => 'alice', tenant => 'acme',
                       iat => $cut + 25, exp => $now + 600),
    sid    => rev_mint($t, $k, sub => 'bob', sid => 'phone-1',
                       iat => $cut + 25, exp => $now + 600),
    tenant => rev_mint($t, $k, sub => 'carol', tenant => 'globex',
                       iat => $cut + 25, exp => $now + 600),
);

# issued after cut-off + leeway: a new login, not revoked
my $later = rev_mint($t, $k, sub => 'alice', tenant => 'acme',
                     iat => $cut + 31, exp => $now + 600);
my $w = rev_watch($t, $later, until => 200);
ok($w->{reached}, 'state loaded: a valid ticket 200');
is(rev_status($t, $tk{sub}), 200, 'before the cut-off: ticket 200');

rev_write($t, 'sub', 'acme/alice', $cut);
rev_write($t, 'sid', 'phone-1', $cut);
rev_write($t, 'tenant', 'globex', $cut);

for my $list (qw(sub sid tenant)) {
    my $w = rev_watch($t, $tk{$list}, until => 401);
    ok($w->{reached}, "$list cut-off: iat within ticket_leeway after it 401")
        or diag("statuses: @{$w->{statuses}}[-5 .. -1]");
}
is($t->get('/api/x', ticket => $tk{sub})->{headers}{'x-reason'}, 'revoked',
   'reason revoked');
is(rev_status($t, $later), 200,
   'iat beyond cut-off + ticket_leeway: still 200');

$t->done;
