#!/usr/bin/perl
# ticket_alert windows (issue 18), with a window of a few seconds where
# t/alert*.t use an hour: one alert record per subject (or ticket) and
# window however often the threshold is passed in it; after the window
# counting starts again, and a second alert comes only when the threshold
# is passed again in the new window.  Nothing here asserts a duration:
# a burst that did not fit one window (a loaded machine) is tried again,
# and the window's end is waited for with a generous margin.
# Alert records in ticket_audit_format ecs and ocsf scopes: one line, one
# document, every field the schema's (t/lib/AuditSchema.pm, the check of
# t/audit_formats.t), the rule, subject, count and window in it.
# The audit files: 0640, owner the workers' user, group adm.

use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use TicketTest qw(hs1_token);
use AuditSchema qw(ecs_problems ocsf_problems);
use JSON::PP;
use Time::HiRes qw(time sleep);

my $W = 3;              # the short window, seconds
my $BURST = 1.5;        # a burst within this fits one window (see below)

my $t = TicketTest->new;
my $d = $t->dir;
my $secret = 'alert-window-hmac-secret-0123456789abcdef';
$t->write_file('hs.secret', "$secret\n");

$t->start(<<"EOF", workers => 2);
    ticket_key hs1 HS256 %%DIR%%/hs.secret;
    ticket_audit_log %%DIR%%/logs/audit.jsonl;
    ticket_audit_gateway gw-win;

    server {
        listen 127.0.0.1:%%PORT%% reuseport;
        listen 127.0.0.2:%%PORT%% reuseport;

        location /w/ {
            ticket user;
            ticket_require_role admin;
            ticket_alert over_privilege 3/${W}s;
            proxy_pass http://127.0.0.1:%%PORT:backend%%;
        }
        location /big/ {
            ticket user;
            ticket_require_role admin;
            ticket_alert over_privilege 2/1h;
            proxy_pass http://127.0.0.1:%%PORT:backend%%;
        }
        location /s/ {
            ticket user;
            ticket_alert shared_ticket 2/${W}s;
            proxy_pass http://127.0.0.1:%%PORT:backend%%;
        }
        location /ecs/ {
            ticket user;
            ticket_require_role admin;
            ticket_audit_format ecs;
            ticket_audit_log %%DIR%%/logs/ecs.jsonl;
            ticket_alert over_privilege 2/1h;
            proxy_pass http://127.0.0.1:%%PORT:backend%%;
        }
        location /ocsf/ {
            ticket user;
            ticket_require_role admin;
            ticket_audit_format ocsf;
            ticket_audit_log %%DIR%%/logs/ocsf.jsonl;
            ticket_alert over_privilege 2/1h;
            proxy_pass http://127.0.0.1:%%PORT:backend%%;
        }
        location = /status {
            ticket_status;
        }
    }
    server {
        listen 127.0.0.1:%%PORT:backend%%;
        location / {
            return 200 "backend\\n";
        }
    }
EOF

my $now = time;
sub tk {
    my (%c) = @_;
    return hs1_token($secret, kind => 'user', iat => int($now),
                     exp => int($now) + 900, jti => "j-$c{sub}",
                     tenant => 'acme', roles => 'reader', %c);
}

# from a chosen local address (shared_ticket counts addresses)
sub get_from { $t->get_from($_[0], $_[1], ticket => $_[2]) }

# the counter is in shared memory and counted in the log phase, which
# ends before nginx closes the connection the client reads to its end:
# right after a request, it says whether that request alerted
sub metric { $t->metric('ticket_alerts_total', rule => $_[0]) // -1 }

my $json = JSON::PP->new;
sub records { $t->records(@_) }
sub wait_for { TicketTest::poll($_[0], 15) }

# A window starts at the whole second (nginx's cached time) of its first
# count and ends W seconds later: it covers at least W - 1 seconds from
# its first request, less the time cache's lag.  A burst that took less
# than $BURST (W - 1.5) seconds, from the first request sent to the last
# answer read, was counted in one window.  One that took longer is not a
# failure of the gateway: it is tried again (a fresh subject, or after the
# window's end).

# ---- over_privilege 3/3s: once a window --------------------------------

my ($who, $first, @p1);
for my $try (1 .. 5) {
    $who = "win$try";
    my $tk = tk(sub => $who);
    my $m0 = metric('over_privilege');
    my $t0 = time;
    # 6 refusals: the threshold passed at the 3rd, and three times more
    my @st = map { $t->get("/w/$who-p1-$_", ticket => $tk)->{status} } 1 .. 6;
    my @m = (metric('over_privilege'));
    $first = $t0;
    if (time - $t0 < $BURST) {
        is("@st", '403 403 403 403 403 403', 'window 1: 6 refusals');
        is($m[0] - $m0, 1, 'window 1: the threshold passed 4 times, '
                           . 'ticket_alerts_total grew by one');
        last;
    }
    diag("window 1: the burst took " . sprintf('%.1f', time - $t0)
         . " s, again with a fresh subject");
    undef $who;
}
ok(defined $who, 'window 1: a burst within one window');
$who //= 'none';

# a second subject in the same window has its own count
my $other_sub;
for my $try (1 .. 5) {
    $other_sub = "$who-other$try";
    my $other = tk(sub => $other_sub);
    my $t0 = time;
    $t->get("/w/other$try-$_", ticket => $other) for 1 .. 2;
    my $m_before = metric('over_privilege');
    $t->get("/w/other$try-3", ticket => $other);
    my $grew = metric('over_privilege') - $m_before;
    if (time - $t0 < $BURST || $try == 5) {
        is($grew, 1, 'another subject: its own alert at its own 3rd refusal');
        last;
    }
    diag("another subject: took " . sprintf('%.1f', time - $t0)
         . " s, again");
}

# ---- after the window: counting starts again ----------------------------

my $tkw = tk(sub => $who);
my $accepted = 0;
my $extra = 0;                # alerts of tries that straddled a window
for my $try (1 .. 4) {
    # the window began at most at $first: it ended by $first + W (plus
    # the time cache's lag, well under the margin)
    my $wake = $first + $W + 1.5;
    sleep($wake - time) if $wake > time;
    my $m0 = metric('over_privilege');
    my $t0 = time;
    my @st = map { $t->get("/w/$who-p2-$try-$_", ticket => $tkw)->{status} }
             1 .. 2;
    my $m1 = metric('over_privilege');
    push @st, $t->get("/w/$who-p2-$try-3", ticket => $tkw)->{status};
    my $m2 = metric('over_privilege');
    if (time - $t0 < $BURST) {
        is("@st", '403 403 403', 'window 2: 3 refusals');
        is($m1 - $m0, 0, 'window 2: two refusals, below the threshold '
                         . 'again: no alert (the count started over)');
        is($m2 - $m0, 1, 'window 2: the third refusal alerts again');
        $accepted = $try;
        last;
    }
    diag("window 2: the burst took " . sprintf('%.1f', time - $t0)
         . " s, again after its window");
    $extra += $m2 - $m0;
    $first = time;   # a window may have begun at its last request
}
ok($accepted, 'window 2: a burst within one window');

# ---- a burst split across where a fixed window would end ----------------
#
# One refusal, then one more 2.5 s later, then two 3.2 s after the first:
# a window fixed at the first refusal would hold two and then two (no
# alert); the sliding window holds the last three within 3 s and alerts.
# Counted to the second: the last three are within the window when no
# more than 2 s pass from sending the second to the fourth's answer;
# a slower run is tried again with a fresh subject.

my $split = 0;
for my $try (1 .. 4) {
    my $tks = tk(sub => "split$try");
    my $m0 = metric('over_privilege');
    my $ta = time;
    $t->get("/w/split$try-a", ticket => $tks);
    sleep($ta + 2.5 - time) if $ta + 2.5 > time;
    my $tb = time;
    $t->get("/w/split$try-b", ticket => $tks);
    sleep($ta + 3.2 - time) if $ta + 3.2 > time;
    my $m1 = metric('over_privilege');
    $t->get("/w/split$try-$_", ticket => $tks) for qw(c d);
    my $m2 = metric('over_privilege');
    if (time - $tb < 2) {
        is($m1 - $m0, 0, 'split burst: no alert after two');
        is($m2 - $m0, 1, 'split burst: the three within the window alert, '
                         . 'though a fixed window would have ended between');
        $split = $try;
        last;
    }
    diag("split burst: took " . sprintf('%.1f', time - $tb) . " s, again");
}
ok($split, 'split burst: arranged within the window');

# ---- two scopes, two rules: neither lends its window or last alert -------
#
# /big/'s 2/1h alerts on a subject; /w/'s 3/3s must still alert on its own
# three refusals (a shared slot would hold /big/'s hour and its alert).

for my $try (1 .. 5) {
    my $tkx = tk(sub => "cross$try");
    my $m0 = metric('over_privilege');
    $t->get("/big/cross$try-$_", ticket => $tkx) for 1 .. 2;
    my $m1 = metric('over_privilege');
    my $t0 = time;
    $t->get("/w/cross$try-$_", ticket => $tkx) for 1 .. 3;
    my $m2 = metric('over_privilege');
    if (time - $t0 < $BURST || $try == 5) {
        is($m1 - $m0, 1, 'two scopes: the 2/1h rule alerts');
        is($m2 - $m1, 1, 'two scopes: the 3/3s rule alerts on its own three');
        last;
    }
    diag("two scopes: took " . sprintf('%.1f', time - $t0) . " s, again");
}

# ---- shared_ticket 2/3s: the addresses start over too -------------------

my $stk;
my ($sfirst, $sacc, $sacc2, $sextra) = (0, 0, 0, 0);
for my $try (1 .. 5) {
    $stk = tk(sub => "sh$try", jti => "j-shared-$try");
    my $m0 = metric('shared_ticket');
    my $t0 = time;
    my @st = (get_from('127.0.0.1', "/s/a-$try-1", $stk),
              get_from('127.0.0.2', "/s/a-$try-2", $stk));
    my $m1 = metric('shared_ticket');
    push @st, get_from('127.0.0.1', "/s/a-$try-3", $stk),
              get_from('127.0.0.2', "/s/a-$try-4", $stk);
    my $m2 = metric('shared_ticket');
    $sfirst = $t0;
    if (time - $t0 < $BURST) {
        is("@st", '200 200 200 200', 'shared window 1: 4 requests');
        ok($m1 - $m0 == 1 && $m2 == $m1,
           'shared window 1: two addresses alert, once however often '
           . 'they come back');
        $sacc = $try;
        last;
    }
}
ok($sacc, 'shared window 1: a burst within one window');
for my $try (1 .. 4) {
    my $wake = $sfirst + $W + 1.5;
    sleep($wake - time) if $wake > time;
    my $m0 = metric('shared_ticket');
    my $t0 = time;
    get_from('127.0.0.1', "/s/b-$try-1", $stk);
    my $m1 = metric('shared_ticket');
    get_from('127.0.0.2', "/s/b-$try-2", $stk);
    my $m2 = metric('shared_ticket');
    if (time - $t0 < $BURST) {
        ok($m1 == $m0 && $m2 == $m0 + 1,
           'shared window 2: one address is no alert, the second is');
        $sacc2 = $try;
        last;
    }
    $sextra += $m2 - $m0;
    $sfirst = time;
}
ok($sacc2, 'shared window 2: a burst within one window');

# ---- ECS and OCSF alert records -----------------------------------------

my $eve = tk(sub => 'eve');
my $oscar = tk(sub => 'oscar', tenant => 'globex');
is($t->get("/ecs/x-$_", ticket => $eve)->{status}, 403, "ecs: refusal $_")
    for 1 .. 3;
is($t->get("/ocsf/x-$_", ticket => $oscar)->{status}, 403, "ocsf: refusal $_")
    for 1 .. 3;

# the workers' user, while they run
my ($wuid) = map { /^Uid:\s+\d+\s+(\d+)/m ? $1 : () }
             map { $t->read_file("/proc/$_/status") } $t->worker_pids;
ok(defined $wuid, "the workers' user: " . ($wuid // 'none'));

# ---- the records on disk ------------------------------------------------

$t->stop;                     # every buffered record written

my @all = records('audit.jsonl');
my @alerts = grep { $_->{event} eq 'alert' } @all;
my @mine = sort { $a->{time} cmp $b->{time} }
           grep { $_->{reason} eq 'over_privilege_burst'
                  && $_->{sub} eq $who } @alerts;
is(scalar(@mine), 2 + $extra, "$who: one alert a window, two windows")
    or diag($json->encode(\@mine));
ok(@mine && $mine[0]{uri} eq "/w/$who-p1-3" && $mine[0]{count} == 3
   && $mine[0]{window} == $W && $mine[0]{tenant} eq 'acme',
   "$who: window 1's alert is its 3rd refusal's, count 3, window $W")
    or diag($json->encode($mine[0] // {}));
ok(@mine && $mine[-1]{uri} eq "/w/$who-p2-$accepted-3"
   && $mine[-1]{count} == 3,
   "$who: window 2's alert is its own 3rd refusal's, count 3 (not 4+)")
    or diag($json->encode($mine[-1] // {}));

# an alert record follows its request's own record, by the same writer
for my $al (@mine) {
    my ($req) = grep { $_->{event} eq 'over_privilege'
                       && $_->{uri} eq $al->{uri} } @all;
    ok($req && $req->{writer} eq $al->{writer} && $al->{seq} == $req->{seq} + 1,
       "$al->{uri}: the alert right after its request's record")
        or diag($json->encode($req // {}));
}

my $n = grep { $_->{event} eq 'over_privilege' && $_->{sub} eq $who
               && $_->{uri} =~ m{^/w/\Q$who\E-p[12]-} } @all;
ok($n >= 9, "$who: every refusal recorded ($n)");

my @oth = grep { $_->{reason} eq 'over_privilege_burst'
                 && $_->{sub} eq $other_sub } @alerts;
is(scalar(@oth), 1, 'the other subject: one alert of its own');

my @sp = grep { $_->{reason} eq 'over_privilege_burst'
                && $_->{sub} eq "split$split" } @alerts;
ok(@sp == 1 && $sp[0]{uri} eq "/w/split$split-d" && $sp[0]{count} == 3,
   'split burst: one alert, at the fourth refusal, count 3')
    or diag($json->encode(\@sp));

my @sh = grep { $_->{reason} eq 'shared_ticket'
                && $_->{jti} eq "j-shared-$sacc" } @alerts;
is(scalar(@sh), 2 + $sextra, 'shared ticket: one alert a window, two windows')
    or diag($json->encode(\@sh));
ok(@sh && $sh[0]{count} == 2 && $sh[0]{window} == $W
   && $sh[0]{uri} eq "/s/a-$sacc-2",
   'shared ticket: the first alert at its second address')
    or diag($json->encode($sh[0] // {}));

my ($rc, $o) = $t->ticketctl('audit', '--check', "$d/logs/audit.jsonl",
                             "$d/logs/ecs.jsonl", "$d/logs/ocsf.jsonl");
ok($rc == 0 && $o =~ /^complete:/m, 'alert records keep seq complete')
    or diag($o);

# ---- ECS and OCSF alert documents ---------------------------------------

sub one_doc_a_line {
    my ($file) = @_;
    my $c = $t->read_file("logs/$file");
    my @lines = split /\n/, $c, -1;
    my $last = pop @lines;
    my @docs = map { eval { $json->decode($_) } } @lines;
    ok($c ne '' && $last eq '' && @docs == @lines
       && !grep({ ref $_ ne q{HASH} } @docs),
       "$file: one JSON document a line") or diag($c);
    return @docs;
}

my @ecs = one_doc_a_line('ecs.jsonl');
my @ea = grep { ($_->{event}{action} // '') eq 'alert' } @ecs;
is(scalar(@ea), 1, 'ecs: one alert document for 3 refusals over 2/1h');
my $ea = $ea[0] // {};
my @bad = ecs_problems($ea);
ok(!@bad, 'ecs alert: every field is ECS\'s, with its type')
    or diag(join "\n", @bad);
ok(!grep({ ecs_problems($_) } @ecs), 'ecs: the request documents too');
ok(($ea->{event}{kind} // '') eq 'alert'
   && $ea->{event}{reason} eq 'over_privilege_burst'
   && $ea->{user}{id} eq 'eve' && $ea->{user}{domain} eq 'acme'
   && $ea->{ticket}{count} == 2 && $ea->{ticket}{window} == 3600
   && $ea->{ticket}{action} eq 'record'
   && $ea->{host}{name} eq 'gw-win'
   && $ea->{url}{path} eq '/ecs/x-2'
   && $ea->{event}{sequence} =~ /^\d+$/,
   'ecs alert: kind alert, the rule, subject, count, window, action')
    or diag($json->encode($ea));
# intrusion_detection takes allowed, denied or info (ECS's expected
# types); the outcome is the refused request's
is_deeply([$ea->{event}{category}, $ea->{event}{type},
           $ea->{event}{outcome}],
          [['intrusion_detection'], ['info'], 'failure'],
          'ecs alert: intrusion_detection, info, failure');
# the categorization fields hold values ECS allows
my %ecs_allowed = (
    kind => [qw(alert asset enrichment event metric state pipeline_error
                signal)],
    category => [qw(api authentication configuration database driver email
                    file host iam intrusion_detection library malware
                    network package process registry session threat
                    vulnerability web)],
    type => [qw(access admin allowed change connection creation deletion
                denied device end error group indicator info installation
                protocol start user)],
    outcome => [qw(failure success unknown)]);
my @badv;
for my $doc (@ecs) {
    for my $f (sort keys %ecs_allowed) {
        my $v = $doc->{event}{$f};
        for my $x (ref $v ? @$v : ($v)) {
            push @badv, "event.$f: " . ($x // 'null')
                unless defined $x && grep { $_ eq $x } @{$ecs_allowed{$f}};
        }
    }
}
ok(!@badv, 'ecs: event.kind, category, type, outcome: ECS\'s values')
    or diag(join "\n", @badv);

my @ocsf = one_doc_a_line('ocsf.jsonl');
my @oa = grep { ($_->{unmapped}{event} // '') eq 'alert' } @ocsf;
is(scalar(@oa), 1, 'ocsf: one alert document for 3 refusals over 2/1h');
my $oa = $oa[0] // {};
@bad = ocsf_problems($oa);
ok(!@bad, 'ocsf alert: every attribute is the class\'s, with its type')
    or diag(join "\n", @bad);
ok(!grep({ ocsf_problems($_) } @ocsf), 'ocsf: the request documents too');
ok(($oa->{class_uid} // 0) == 6003
   && $oa->{type_uid} == 600300 + $oa->{activity_id}
   && $oa->{status_detail} eq 'over_privilege_burst'
   && $oa->{actor}{user}{uid} eq 'oscar'
   && $oa->{actor}{user}{domain} eq 'globex'
   && $oa->{unmapped}{count} == 2 && $oa->{unmapped}{window} == 3600
   && $oa->{unmapped}{action} eq 'record'
   && $oa->{http_request}{url}{path} eq '/ocsf/x-2'
   && $oa->{metadata}{sequence} =~ /^\d+$/ && $oa->{time} =~ /^\d{13}$/,
   'ocsf alert: the rule, subject, count, window, action')
    or diag($json->encode($oa));
ok(($oa->{severity_id} // 0) == 4 && $oa->{status_id} == 2
   && $oa->{status} eq 'Failure',
   'ocsf alert: High, above the refusals it sums up; Failure (its 403)')
    or diag($json->encode($oa));

# ---- the audit files: 0640, the workers' user, group adm ----------------

my $adm = getgrnam('adm');
for my $f (qw(audit ecs ocsf)) {
    my @st = stat "$d/logs/$f.jsonl";
    is(sprintf('%o', $st[2] & 07777), '640', "$f.jsonl: mode 0640");
    ok(defined $adm && $st[5] == $adm, "$f.jsonl: group adm");
    is($st[4], $wuid, "$f.jsonl: owner the workers' user ($wuid)");
}

$t->done;
done_testing();
