#!/usr/bin/perl
# ticket_status: Prometheus text with HELP/TYPE for every metric the README
# lists; request counters move by exactly the requests made; audit
# counters; revocation gauges without and with Redis; counters survive a
# reload; HEAD works, POST is 405.

use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use TicketTest;
use Time::HiRes qw(time sleep);

my @METRICS = (
    [ticket_requests_total               => 'counter'],
    [ticket_revocation_entries           => 'gauge'],
    [ticket_revocation_sync_age_seconds  => 'gauge'],
    [ticket_redis_up                     => 'gauge'],
    [ticket_revocation_loaded            => 'gauge'],
    [ticket_revocation_zone_full         => 'gauge'],
    [ticket_cache_hits_total             => 'counter'],
    [ticket_cache_misses_total           => 'counter'],
    [ticket_cache_entries                => 'gauge'],
    [ticket_audit_records_total          => 'counter'],
    [ticket_audit_dropped_total          => 'counter'],
    [ticket_alerts_total                 => 'counter'],
    [ticket_alert_revocations_failed_total => 'counter'],
);
my @LISTS = qw(jti sub sid tenant kid);

sub RQ { qq{ticket_requests_total{decision="$_[0]",reason="$_[1]"}} }
sub RE { qq{ticket_revocation_entries{list="$_[0]"}} }

my $t = TicketTest->new;
my $k = $t->keygen('ES256', 'k1');

my $CONF = <<'EOF';
    ticket_keys %%DIR%%/keys/k1.jwks;
    ticket_audit_log %%DIR%%/logs/audit.jsonl;

    server {
        listen 127.0.0.1:%%PORT%%;

        location /api/ {
            ticket user;
            proxy_pass http://127.0.0.1:%%PORT:backend%%;
        }
        location /admin/ {
            ticket user;
            ticket_require_role admin;
            proxy_pass http://127.0.0.1:%%PORT:backend%%;
        }
        location /dry/ {
            ticket user;
            ticket_mode audit;
            proxy_pass http://127.0.0.1:%%PORT:backend%%;
        }
        location = /s {
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

$t->start($CONF);

# GET the status page: (response, { "name{labels}" => value })
sub scrape {
    my ($tt) = @_;
    my $r = $tt->get('/s');
    my %m;
    for (split /\n/, $r->{body}) {
        next if /^#/;
        $m{$1} = $2 if /^(\S+) (\S+)$/;
    }
    return ($r, \%m);
}

my ($r, $m) = scrape($t);
is($r->{status}, 200, 'status page: 200');
like($r->{headers}{'content-type'}, qr{^text/plain; version=0\.0\.4},
     'Prometheus text content type');
is($r->{headers}{'content-length'}, length $r->{body},
   'Content-Length matches the body');
like($r->{body}, qr/\n\z/, 'body ends with a newline');

my %REDIS = map { $_ => 1 } qw(ticket_revocation_entries
    ticket_revocation_sync_age_seconds ticket_redis_up
    ticket_revocation_loaded ticket_revocation_zone_full
    ticket_alert_revocations_failed_total);

for my $x (@METRICS) {
    my ($name, $type) = @$x;
    if ($REDIS{$name}) {
        ok($r->{body} !~ /^(# [A-Z]+ )?\Q$name\E\b/m,
           "no redis: no $name series");
        next;
    }
    like($r->{body}, qr/^# HELP $name \S.*$/m, "$name: HELP line");
    like($r->{body}, qr/^# TYPE $name $type$/m, "$name: TYPE $type");
    ok(scalar(grep { /^\Q$name\E(\{|$)/ } keys %$m), "$name: a sample");
}

# every sample line is well-formed, and belongs to a declared metric
my @bad = grep { !/^# (HELP|TYPE) / && !/^[a-z_]+(\{[a-z_]+="[^"]*"(,[a-z_]+="[^"]*")*\})? (\d+(\.\d+)?|\+Inf)$/ }
          split /\n/, $r->{body};
ok(!@bad, 'every line is HELP, TYPE or a sample') or diag(join "\n", @bad);
my %declared = map { $_->[0] => 1 } @METRICS;
my @undeclared = grep { my $n = $_ =~ s/\{.*//r; !$declared{$n} } keys %$m;
ok(!@undeclared, 'no sample of an undeclared metric')
    or diag("@undeclared");

is($m->{RQ('allow', 'ok')}, 0, 'allow/ok present from the start, 0');
# every refusal series from the start (issue 18): increase() sees the first
for my $d (qw(deny audit)) {
    for my $why (qw(missing malformed untrusted_key_header unknown_key
                    alg_mismatch bad_signature expired not_yet_valid
                    issued_in_future lifetime_exceeded revoked wrong_issuer
                    wrong_audience wrong_kind tenant_mismatch
                    insufficient_role claim_mismatch revocation_unavailable))
    {
        is($m->{RQ($d, $why)}, 0, "$d/$why present from the start, 0");
    }
}
ok(!defined $m->{RQ('allow', 'bad_signature')}
   && !defined $m->{RQ('deny', 'ok')}
   && !defined $m->{RQ('allow', 'excess_privilege')},
   'no series that cannot happen');
is($m->{ticket_audit_records_total}, 0, 'audit records 0');
is($m->{ticket_audit_dropped_total}, 0, 'audit dropped 0');

# ---- counters move by exactly the requests made --------------------------

my $good = $t->mint(key => $k->{key}, kid => 'k1', sub => 'alice',
                    kind => 'user', roles => 'reader');
my $bad = $good;
my $at = length($bad) - 20;
substr($bad, $at, 1) = substr($bad, $at, 1) eq 'A' ? 'B' : 'A';

my %made = (RQ('allow', 'ok') => 0, RQ('deny', 'bad_signature') => 0,
            RQ('deny', 'missing') => 0, RQ('deny', 'insufficient_role') => 0,
            RQ('audit', 'missing') => 0);
sub make {
    my ($uri, $tk, $status, $key, $times) = @_;
    my $ok = 0;
    for (1 .. $times) {
        $ok++ if $t->get($uri, defined $tk ? (ticket => $tk) : ())
                   ->{status} == $status;
    }
    is($ok, $times, "$times x $uri: $status");
    $made{$key} += $times;
}

make('/api/x', $bad, 401, RQ('deny', 'bad_signature'), 3);
make('/api/x', $good, 200, RQ('allow', 'ok'), 4);
make('/api/x', undef, 401, RQ('deny', 'missing'), 2);
make('/admin/x', $good, 403, RQ('deny', 'insufficient_role'), 1);
make('/dry/x', undef, 200, RQ('audit', 'missing'), 2);

my $records = 3 + 2 + 1 + 2;     # denied, denied, over_privilege, audited
my $end = time + 5;
while (time < $end) {
    ($r, $m) = scrape($t);
    last if ($m->{ticket_audit_records_total} // 0) >= $records;
    sleep 0.05;
}
for my $key (sort keys %made) {
    is($m->{$key}, $made{$key}, "$key moved by exactly $made{$key}");
}
is($m->{ticket_audit_records_total}, $records,
   "audit records: $records (written)");
is($m->{ticket_audit_dropped_total}, 0, 'audit dropped: 0');
my $lines = () = $t->read_file('logs/audit.jsonl') =~ /\n/g;
is($lines, $records, 'the file holds what the counter says');
# (the verified-ticket cache is README "Not yet": its counters are only
# checked to be there, above)

# status requests are no ticket checks
my ($r2, $m2) = scrape($t);
is_deeply({ map { $_ => $m2->{$_} } grep { /^ticket_requests_total/ } keys %$m2 },
          { map { $_ => $m->{$_} } grep { /^ticket_requests_total/ } keys %$m },
          'scraping does not move the request counters');

# ---- HEAD, POST ----------------------------------------------------------

my $h = $t->get('/s', method => 'HEAD');
is($h->{status}, 200, 'HEAD: 200');
is($h->{body}, '', 'HEAD: no body');
like($h->{headers}{'content-type'} // '', qr{^text/plain}, 'HEAD: type');

my $p = TicketTest::parse_response($t->http(
        "POST /s HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n"
      . "Content-Length: 3\r\n\r\nabc"));
is($p->{status}, 405, 'POST: 405');
unlike($p->{body}, qr/ticket_requests_total/, 'POST: no metrics');

# ---- counters survive a reload -------------------------------------------

($r, $m) = scrape($t);
ok($t->reload, 'reload');
my ($ra, $ma) = scrape($t);
is($ra->{status}, 200, 'after reload: 200');
for my $key (grep { /^ticket_(requests|audit|cache)/ } sort keys %$m) {
    is($ma->{$key}, $m->{$key}, "after reload: $key kept ($m->{$key})");
}
make('/api/x', $bad, 401, RQ('deny', 'bad_signature'), 1);
($ra, $ma) = scrape($t);
is($ma->{RQ('deny', 'bad_signature')}, $made{RQ('deny', 'bad_signature')},
   'after reload: counting goes on from where it was');

$t->done;

# ---- with Redis ----------------------------------------------------------

my $t2 = TicketTest->new;
my $k2 = $t2->keygen('ES256', 'k1');
$t2->start_redis;

$t2->start(<<'EOF', workers => 2);
    ticket_redis 127.0.0.1:%%PORT:redis%% timeout=300ms;
    ticket_keys %%DIR%%/keys/k1.jwks;

    server {
        listen 127.0.0.1:%%PORT%%;

        location /api/ {
            ticket user;
            proxy_pass http://127.0.0.1:%%PORT:backend%%;
        }
        location = /s {
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

sub poll {
    my ($tt, $cond, $timeout) = @_;
    my ($rr, $mm);
    my $e = time + ($timeout // 10);
    while (time < $e) {
        ($rr, $mm) = scrape($tt);
        return $mm if $cond->($mm);
        sleep 0.05;
    }
    return $mm;
}

$m = poll($t2, sub { ($_[0]{ticket_revocation_loaded} // 0) == 1
                     && ($_[0]{ticket_redis_up} // 0) == 1 });
is($m->{ticket_redis_up}, 1, 'redis: redis_up 1');
is($m->{ticket_revocation_loaded}, 1, 'redis: loaded 1');
is($m->{RE('jti')}, 0, 'redis: no jti entry yet');

my $now = int time;
my $exp = $now + 600;
my $revoked = $t2->mint(key => $k2->{key}, kid => 'k1', sub => 'mallory',
                        kind => 'user', jti => 'status-jti-1', exp => $exp,
                        iat => $now);
is($t2->get('/api/x', ticket => $revoked)->{status}, 200,
   'before revocation: 200');

is($t2->redis_cmd('ZADD', 'ticket:revoked:jti', $exp, 'status-jti-1'), 1,
   'ZADD ticket:revoked:jti');
my $id = $t2->redis_cmd('XADD', 'ticket:events', '*', 'op', 'revoke',
                        'list', 'jti', 'member', 'status-jti-1',
                        'value', $exp);
like($id // '', qr/^\d+-\d+$/, 'XADD ticket:events');

$m = poll($t2, sub { ($_[0]{RE('jti')} // 0) == 1 });
is($m->{RE('jti')}, 1, 'redis: entries{list="jti"} 1');
is($m->{RE($_)}, 0, "redis: entries{list=\"$_\"} 0")
    for grep { $_ ne 'jti' } @LISTS;
is($m->{ticket_redis_up}, 1, 'redis: still up');
like($m->{ticket_revocation_sync_age_seconds}, qr/^\d+\.\d{3}$/,
     'redis: sync age is a number with ms');

is($t2->get('/api/x', ticket => $revoked)->{status}, 401,
   'revoked ticket: 401');
(undef, $m) = scrape($t2);
is($m->{RQ('deny', 'revoked')}, 1, 'requests_total deny/revoked 1');
is($m->{RQ('allow', 'ok')}, 1, 'requests_total allow/ok 1');

ok($t2->reload, 'redis: reload');
$m = poll($t2, sub { ($_[0]{ticket_revocation_loaded} // 0) == 1
                     && ($_[0]{RE('jti')} // 0) == 1 });
is($m->{RE('jti')}, 1, 'after reload: jti entry still 1');
is($m->{RQ('deny', 'revoked')}, 1, 'after reload: deny/revoked kept');
is($m->{RQ('allow', 'ok')}, 1, 'after reload: allow/ok kept');
is($m->{ticket_revocation_loaded}, 1, 'after reload: loaded 1');

$t2->done;
done_testing();
