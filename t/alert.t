#!/usr/bin/perl
# ticket_alert (issue 18): detection across the workers of a gateway.
# over_privilege N/WINDOW: one alert record when a subject's Nth
# over_privilege refusal lands within WINDOW, none below, once a window;
# shared_ticket N/WINDOW: one ticket from N distinct client addresses;
# ticket_alerts_total{rule}; a flood of distinct subjects neither exhausts
# the zone (a subject after it is still counted) nor grows the workers.

use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use TicketTest qw(hs1_token);
use JSON::PP;
use Time::HiRes qw(time sleep);

my $t = TicketTest->new;

# the flood's memory bound below is the worker's, not ASan's: freed
# memory held in ASan's quarantine would count as growth
$t->{asan_extra} = ':quarantine_size_mb=0:thread_local_quarantine_size_kb=0';
my $d = $t->dir;
my $secret = 'alert-test-hmac-secret-0123456789abcdef';
$t->write_file('hs.secret', "$secret\n");

$t->start(<<'EOF', workers => 2);
    ticket_key hs1 HS256 %%DIR%%/hs.secret;
    ticket_audit_log %%DIR%%/logs/audit.jsonl;
    ticket_audit_gateway gw-alert;

    server {
        listen 127.0.0.1:%%PORT%% reuseport;
        listen 127.0.0.2:%%PORT%% reuseport;
        listen 127.0.0.3:%%PORT%% reuseport;

        location /admin/ {
            ticket user;
            ticket_require_role admin;
            ticket_alert over_privilege 3/1h;
            proxy_pass http://127.0.0.1:%%PORT:backend%%;
        }
        location /api/ {
            ticket user;
            ticket_alert shared_ticket 3/1h;
            proxy_pass http://127.0.0.1:%%PORT:backend%%;
        }
        location = /status {
            ticket_status;
        }
    }
    server {
        listen 127.0.0.1:%%PORT:backend%%;
        location / {
            return 200 "backend\n";
        }
    }
EOF

my $now = time;
sub tk {
    my (%c) = @_;
    return hs1_token($secret, kind => 'user', iat => int($now),
                     exp => int($now) + 600, jti => "j-$c{sub}", %c);
}

# from a chosen local address, so that one ticket comes from several
sub get_from { $t->get_from($_[0], $_[1], ticket => $_[2]) }

my $json = JSON::PP->new;
sub alerts {
    my $c = $t->read_file('logs/audit.jsonl');
    # only the alert lines are decoded: after the flood the file holds
    # 8,000 records, too slow to parse in a poll loop on a loaded machine
    return grep { $_->{event} eq 'alert' }
           map { eval { $json->decode($_) } // () }
           $c =~ /^([^\n]*"event":"alert"[^\n]*)$/mg;
}
sub wait_for { TicketTest::poll($_[0], 10) }
sub metric { $t->metric('ticket_alerts_total', rule => $_[0]) }

is(metric('over_privilege'), 0, 'ticket_alerts_total over_privilege 0');
is(metric('shared_ticket'), 0, 'ticket_alerts_total shared_ticket 0');

# ---- over_privilege 3/1h --------------------------------------------------

my $mallory = tk(sub => 'mallory', tenant => 'acme', roles => 'reader');
for my $i (1 .. 2) {
    is($t->get("/admin/m-$i", ticket => $mallory)->{status}, 403,
       "over_privilege $i: 403");
}
# over both workers: the 2 refusals are on disk, no alert
ok(wait_for(sub { my $n = () = $t->read_file('logs/audit.jsonl') =~ /"over_privilege"/g; $n >= 2 }),
   'two over_privilege records on disk');
is(scalar(alerts()), 0, 'below the threshold: no alert');

is($t->get('/admin/m-3', ticket => $mallory)->{status}, 403,
   'over_privilege 3: 403');
ok(wait_for(sub { alerts() >= 1 }), 'at the threshold: an alert record');
for my $i (4 .. 6) {
    $t->get("/admin/m-$i", ticket => $mallory);
}
ok(wait_for(sub { $t->read_file('logs/audit.jsonl') =~ /"uri":"\/admin\/m-6"/ }),
   'the 6th refusal on disk');
my @a = alerts();
is(scalar(@a), 1, 'once a window: still one alert after 6 refusals');
my $al = $a[0] // {};
is($al->{reason}, 'over_privilege_burst', 'alert reason over_privilege_burst');
ok($al->{sub} eq 'mallory' && $al->{tenant} eq 'acme'
   && $al->{count} == 3 && $al->{window} == 3600
   && $al->{action} eq 'record' && $al->{gateway} eq 'gw-alert'
   && $al->{writer} =~ /^gw-alert-/ && $al->{seq} =~ /^\d+$/,
   'alert members: identity, count, window, action, writer, seq')
    or diag($json->encode($al));
is(metric('over_privilege'), 1, 'ticket_alerts_total over_privilege 1');

# another subject of the same name in another tenant counts apart
my $other = tk(sub => 'mallory', tenant => 'globex', roles => 'reader');
$t->get("/admin/o-$_", ticket => $other) for 1 .. 2;

# ---- shared_ticket 3/1h ---------------------------------------------------

my $shared = tk(sub => 'carol', jti => 'j-shared');
is(get_from('127.0.0.1', '/api/s-1', $shared), 200, 'shared: from .1');
is(get_from('127.0.0.1', '/api/s-2', $shared), 200, 'shared: again from .1');
is(get_from('127.0.0.2', '/api/s-3', $shared), 200, 'shared: from .2');
is(metric('shared_ticket'), 0, 'two addresses: no alert');
is(get_from('127.0.0.3', '/api/s-4', $shared), 200, 'shared: from .3');
ok(wait_for(sub { grep { $_->{reason} eq 'shared_ticket' } alerts() }),
   'three addresses: a shared_ticket alert');
get_from('127.0.0.2', '/api/s-5', $shared);
is(metric('shared_ticket'), 1, 'once a window: ticket_alerts_total 1');
my ($sh) = grep { $_->{reason} eq 'shared_ticket' } alerts();
ok($sh && $sh->{jti} eq 'j-shared' && $sh->{count} == 3,
   'shared_ticket alert: the jti and the count')
    or diag($json->encode($sh // {}));

# ---- a flood of distinct subjects -----------------------------------------

# private memory: shared zones' pages (the ticket cache fills with the
# flood's tickets, as it should) are not the workers growing
sub rss {
    my $sum = 0;
    for my $pid ($t->worker_pids) {
        my ($kb) = $t->read_file("/proc/$pid/status") =~ /^RssAnon:\s+(\d+)/m;
        $sum += $kb // 0;
    }
    return $sum;
}
my $rss0 = rss();
my $flood = 8000;                    # more subjects than the zone has slots
my $ok = 0;
for my $i (1 .. $flood) {
    $ok++ if $t->get("/admin/f", ticket => tk(sub => "f$i", roles => 'x'))
             ->{status} == 403;
}
is($ok, $flood, "flood: $flood distinct subjects refused");
my $rss1 = rss();
ok($rss1 - $rss0 < 4096, "flood: workers' private memory grew < 4 MB ("
   . ($rss1 - $rss0) . " kB)");

# the zone still counts: a new subject after the flood alerts at 3
my $late = tk(sub => 'late', roles => 'reader');
is(scalar(grep { $t->get("/admin/l-$_", ticket => $late)->{status} == 403 }
          1 .. 3), 3, 'after the flood: a new subject refused 3 times');
ok(wait_for(sub { grep { ($_->{sub} // '') eq 'late' } alerts() }),
   'after the flood: a new subject still alerts at its threshold');

$t->stop;
@a = alerts();
my @op = grep { $_->{reason} eq 'over_privilege_burst' } @a;
is(scalar(grep { $_->{sub} eq 'mallory' } @op), 1,
   'mallory: exactly one alert over the whole run');
my ($rc, $o) = $t->ticketctl('audit', '--check', "$d/logs/audit.jsonl");
ok($rc == 0 && $o =~ /^complete:/m, 'alert records keep seq complete')
    or diag($o);
($rc, $o) = $t->ticketctl('audit', '--event', 'alert', "$d/logs/audit.jsonl");
my $n = () = $o =~ /\n/g;
is($n, scalar(@a), 'ticketctl audit --event alert lists them');

$t->done;
done_testing();
