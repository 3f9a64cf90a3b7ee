#!/usr/bin/perl
# A reload that raises ticket_max_lifetime (issue 16, read as an attacker:
# prove or refute).  Cut-off rows are pruned once nothing they could match
# can still be valid under the configured lifetimes.  A reload that raises
# the largest lifetime makes tickets valid again that such a pruned row
# revoked; until a full load brings the row back (and with Redis away,
# for as long as the state is fresh) the gateway must not let them pass.
# Before the fix: served 200.  Now: 503 (revocation_unavailable) until
# the lists are loaded again, then 401.

use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use Time::HiRes qw(time sleep);
use TicketTest;
use RevTest;

plan(tests => 9);

my $t = TicketTest->new;
my $k = $t->keygen('ES256', 'k1');
$t->start_redis;
my $conf = sub {
    rev_conf(stale => 60,
             extra => "ticket_leeway 1s; ticket_max_lifetime $_[0];");
};
# Start under a 1 h lifetime, so the cut-off row stays once it arrives
# (under 10 s the pruner may take it before a poll has seen it).
$t->start($conf->('1h'));

my $now = int(time);
my $cut = $now - 60;

# issued before the cut-off, with a lifetime of 700 s
my $A = rev_mint($t, $k, sub => 'alice', tenant => 'acme', iat => $now - 100,
                 exp => $now + 600);
my $V = rev_mint($t, $k, sub => 'valid', ttl => '9s');

my $w = rev_watch($t, $V, until => 200);
ok($w->{reached}, 'loaded: valid ticket 200');

rev_write($t, 'sub', 'acme/alice', $cut);
ok(rev_poll(sub { rev_entries($t, 'sub') == 1 }, 10), 'the cut-off row arrives');

# under a 10 s lifetime nothing it matches can be valid: pruned
ok($t->reload($conf->('10s')), 'reload with ticket_max_lifetime 10s');
ok(rev_poll(sub { rev_entries($t, 'sub') == 0 }, 25),
   'max_lifetime 10s: the cut-off row is pruned');
is($t->get('/api/x', ticket => $A)->{headers}{'x-reason'},
   'lifetime_exceeded', 'max_lifetime 10s: the ticket is lifetime_exceeded');

# Redis goes away, then the lifetime is raised: the state is still fresh
$t->stop_redis;
ok($t->reload($conf->('1h')), 'reload with ticket_max_lifetime 1h');
is(rev_status($t, $A), 503,
   'lifetime raised, the row pruned, no load yet: not 200 but 503');

# Redis back (empty: it kept nothing), the row written again: loaded, 401
$t->start_redis;
rev_write($t, 'sub', 'acme/alice', $cut);
$w = rev_watch($t, $A, until => 401, limit => 5);
ok($w->{reached}, 'the lists loaded again: the ticket 401 (revoked)');

$t->done;
