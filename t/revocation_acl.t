#!/usr/bin/perl
# A Redis that answers but will not let the gateway follow the stream
# (an ACL that denies XREAD).  Issue 16: every gateway loaded its lists
# ten times a second and each load refreshed the stale clock, so the
# state looked fresh while no revocation could arrive.  A load that cannot
# be followed is not contact: 503 after max_stale (fail closed), an error
# line naming the denied command, and a backoff between attempts.

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
$t->start(rev_conf(stale => 2));

my $V = rev_mint($t, $k, sub => 'valid', jti => 'jti-valid');
my $w = rev_watch($t, $V, until => 200);
ok($w->{reached}, 'loaded: valid ticket 200');

# the test's own connection is the default user too: it keeps XADD
$t->redis_cmd('ACL', 'SETUSER', 'default', '-xread');
$t->redis_cmd('CLIENT', 'KILL', 'TYPE', 'normal', 'SKIPME', 'yes');
my $loads0 = () = $t->error_log =~ /loading revocation lists/g;
my $t0 = time;

$w = rev_watch($t, $V, until => 503, limit => 6);
ok($w->{reached}, 'XREAD denied: 503 once max_stale has passed')
    or diag("statuses: @{$w->{statuses}}[-5 .. -1]");
is($w->{last}{headers}{'x-reason'}, 'revocation_unavailable',
   'XREAD denied: reason revocation_unavailable');

# while denied, some more seconds: loads back off
$w = rev_watch($t, $V, for => 3);
is_deeply([grep { $_ != 503 } @{$w->{statuses}}], [],
          'XREAD denied: stays 503');
my $secs = time - $t0;
my $loads = (() = $t->error_log =~ /loading revocation lists/g) - $loads0;
note(sprintf '%d loads in %.1f s while XREAD was denied', $loads, $secs);
ok($loads <= $secs, 'XREAD denied: at most one load a second, backing off')
    or diag("$loads loads in $secs s");
like($t->error_log, qr/XREAD failed: NOPERM/,
     'the error log names the denied command');

$t->redis_cmd('ACL', 'SETUSER', 'default', '+xread');
$w = rev_watch($t, $V, until => 200, limit => 10);
ok($w->{reached}, 'XREAD allowed again: 200');

$t->done;
