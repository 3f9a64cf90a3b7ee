#!/usr/bin/perl
# ticket_alert ... revoke (issue 18): the alert also revokes, through a
# real redis-server, as ticketctl revoke writes it: over_privilege a sub
# row "TENANT/SUB" with cut-off now, shared_ticket a jti row with the
# ticket's exp, each with its ticket:events entry, actor gateway:NAME.
# The gateways follow the stream, so the subject's (or ticket's) next
# request is refused 401 revoked.  Redis down: the write fails with an
# error line naming the subject, the request path goes on.  nginx -t
# refuses revoke without ticket_redis.

use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use TicketTest qw(hs1_token);
use Time::HiRes qw(time sleep);

my $t = TicketTest->new;
my $d = $t->dir;
my $secret = 'alert-revoke-hmac-secret-0123456789abcd';
$t->write_file('hs.secret', "$secret\n");

# ---- nginx -t: revoke needs ticket_redis ---------------------------------

my ($rc, $out) = $t->nginx_test(<<'EOF');
    ticket_key hs1 HS256 %%DIR%%/hs.secret;
    server {
        listen 127.0.0.1:%%PORT%%;
        location / {
            ticket user;
            ticket_alert over_privilege 3/1h revoke;
            return 200;
        }
    }
EOF
isnt($rc, 0, 'nginx -t: revoke without ticket_redis fails');
like($out, qr/"ticket_alert \.\.\. revoke" writes revocations: add "ticket_redis"/,
     'nginx -t: says ticket_redis is needed');

($rc, $out) = $t->nginx_test(<<'EOF');
    ticket_key hs1 HS256 %%DIR%%/hs.secret;
    ticket_redis 127.0.0.1:%%PORT:redis%%;
    server {
        listen 127.0.0.1:%%PORT%%;
        location / {
            ticket user;
            ticket_alert shared_ticket 3/1h revoke;
            return 200;
        }
    }
EOF
is($rc, 0, 'nginx -t: revoke with ticket_redis is accepted') or diag($out);

$t->start_redis;

$t->start(<<'EOF', workers => 2);
    ticket_key hs1 HS256 %%DIR%%/hs.secret;
    ticket_redis 127.0.0.1:%%PORT:redis%% timeout=500ms;
    ticket_audit_log %%DIR%%/logs/audit.jsonl;
    ticket_audit_gateway gw-rev;

    server {
        listen 127.0.0.1:%%PORT%% reuseport;
        listen 127.0.0.2:%%PORT%% reuseport;
        listen 127.0.0.3:%%PORT%% reuseport;

        location /admin/ {
            ticket user;
            ticket_require_role admin;
            ticket_alert over_privilege 3/1h revoke;
            proxy_pass http://127.0.0.1:%%PORT:backend%%;
        }
        location /api/ {
            ticket user;
            ticket_alert shared_ticket 3/1h revoke;
            proxy_pass http://127.0.0.1:%%PORT:backend%%;
        }
        location /dry/ {
            ticket user;
            ticket_mode audit;
            ticket_require_role admin;
            ticket_alert over_privilege 3/1h revoke;
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

my $now = int(time);
my $n = 0;
sub tk {
    my (%c) = @_;
    $n++;
    return hs1_token($secret, kind => 'user', iat => $now, exp => $now + 600,
                     jti => "j-$c{sub}-$n", %c);
}

sub get_from { $t->get_from($_[0], $_[1], ticket => $_[2]) }

sub records { $t->records(@_) }
sub alerts { grep { $_->{event} eq 'alert' } records() }
sub wait_for { TicketTest::poll($_[0], 10) }
# every worker refuses: several answers in a row (poll, not sleep)
sub wait_status {
    my ($uri, $ticket, $want) = @_;
    my $seen = 0;
    my $st = 0;
    my $end = time + 10;
    while (time < $end) {
        $st = $t->get($uri, ticket => $ticket)->{status};
        $seen = $st == $want ? $seen + 1 : 0;
        return $st if $seen >= 4;
        sleep 0.02;
    }
    return $st;
}
sub events {
    my $r = $t->redis_cmd('XRANGE', 'ticket:events', '-', '+');
    return map { { @{$_->[1]} } } @{ref $r eq 'ARRAY' ? $r : []};
}

# ---- over_privilege 3/1h revoke: the subject -----------------------------

# issued now, before the cut-off the alert will write
my $admin = tk(sub => 'mallory', tenant => 'acme', roles => 'admin');
my $reader = tk(sub => 'mallory', tenant => 'acme', roles => 'reader');
# the workers hold the revocation state (503 until their first sync)
is(wait_status('/admin/ok', $admin, 200), 200,
   'before: her admin ticket is allowed');

for my $i (1 .. 3) {
    is($t->get("/admin/m-$i", ticket => $reader)->{status}, 403,
       "over_privilege $i: 403");
}

ok(wait_for(sub { grep { ($_->{sub} // '') eq 'mallory' } alerts() }),
   'the alert record is written');
my ($al) = grep { ($_->{sub} // '') eq 'mallory' } alerts();
is($al->{reason}, 'over_privilege_burst', 'alert reason');
is($al->{action}, 'revoke', 'alert action: revoke');

ok(wait_for(sub { defined $t->redis_cmd('HGET', 'ticket:revoked:sub',
                                        'acme/mallory') }),
   'the sub row is in Redis');
my $cut = $t->redis_cmd('HGET', 'ticket:revoked:sub', 'acme/mallory');
ok($cut >= $now && $cut <= time + 1, 'its cut-off is the alert\'s time');

my ($ev) = grep { ($_->{member} // '') eq 'acme/mallory' } events();
ok($ev, 'a ticket:events entry for it');
is($ev->{op}, 'revoke', 'entry op revoke');
is($ev->{list}, 'sub', 'entry list sub');
is($ev->{value}, $cut, 'entry value: the cut-off');
is($ev->{actor}, 'gateway:gw-rev', 'entry actor gateway:NAME');
is($ev->{reason}, 'over_privilege_burst', 'entry reason');

my ($lrc, $list) = $t->ticketctl('revoke', '--redis',
                                 '127.0.0.1:' . $t->port('redis'), '--list');
is($lrc, 0, 'ticketctl revoke --list');
like($list, qr{^sub  acme/mallory  at $cut$}m, 'ticketctl lists the sub row');

is(wait_status('/admin/again', $admin, 401), 401,
   'her admin ticket issued before the cut-off: 401');
ok(wait_for(sub { grep { ($_->{sub} // '') eq 'mallory'
                         && $_->{reason} eq 'revoked' } records() }),
   'refused as revoked');

my $other = tk(sub => 'mallory', tenant => 'globex', roles => 'admin');
is($t->get('/admin/ok', ticket => $other)->{status}, 200,
   'the same sub in another tenant is not revoked');

# ---- shared_ticket 3/1h revoke: the jti ----------------------------------

my $shared = tk(sub => 'carol', jti => 'j-shared');
my $sexp = $now + 600;
is(get_from('127.0.0.1', '/api/s', $shared), 200, 'shared from .1: 200');
is(get_from('127.0.0.2', '/api/s', $shared), 200, 'shared from .2: 200');
is(get_from('127.0.0.3', '/api/s', $shared), 200,
   'shared from .3: 200 (the alert does not wait for Redis)');

ok(wait_for(sub { grep { $_->{reason} eq 'shared_ticket' } alerts() }),
   'shared_ticket alert record');
($al) = grep { $_->{reason} eq 'shared_ticket' } alerts();
is($al->{action}, 'revoke', 'shared_ticket alert action: revoke');

ok(wait_for(sub { defined $t->redis_cmd('ZSCORE', 'ticket:revoked:jti',
                                        'j-shared') }),
   'the jti row is in Redis');
is($t->redis_cmd('ZSCORE', 'ticket:revoked:jti', 'j-shared'), $sexp,
   'its score is the ticket\'s exp');
($ev) = grep { ($_->{member} // '') eq 'j-shared' } events();
ok($ev, 'a ticket:events entry for the jti');
is($ev->{list}, 'jti', 'entry list jti');
is($ev->{value}, $sexp, 'entry value: exp');
is($ev->{actor}, 'gateway:gw-rev', 'entry actor gateway:NAME');
is($ev->{reason}, 'shared_ticket', 'entry reason shared_ticket');

is(wait_status('/api/s', $shared, 401), 401, 'the shared ticket: 401');
is($t->get('/api/s', ticket => tk(sub => 'carol'))->{status}, 200,
   'carol\'s other ticket still works');

# ---- ticket_mode audit: a dry run, nothing written -----------------------

my $dora = tk(sub => 'dora', tenant => 'acme', roles => 'reader');
for my $i (1 .. 3) {
    is($t->get("/dry/d-$i", ticket => $dora)->{status}, 200,
       "audit mode, over_privilege $i: 200");
}
ok(wait_for(sub { grep { ($_->{sub} // '') eq 'dora' } alerts() }),
   'audit mode: the alert record');
($al) = grep { ($_->{sub} // '') eq 'dora' } alerts();
ok($al->{action} eq 'revoke' && !$al->{enforced},
   'audit mode: action revoke, not enforced');
# no poll for an absence: a later enforced alert's row lands first, then
# dora's is looked for
my $ed = tk(sub => 'ed', tenant => 'acme', roles => 'reader');
$t->get("/admin/e-$_", ticket => $ed) for 1 .. 3;
ok(wait_for(sub { defined $t->redis_cmd('HGET', 'ticket:revoked:sub',
                                        'acme/ed') }),
   'a later enforced alert: its row is in Redis');
my $dora_admin = tk(sub => 'dora', tenant => 'acme', roles => 'admin');
ok(!defined $t->redis_cmd('HGET', 'ticket:revoked:sub', 'acme/dora'),
   'audit mode: no sub row');
ok(!(grep { ($_->{member} // '') eq 'acme/dora' } events()),
   'audit mode: no stream entry');
is($t->get('/admin/ok', ticket => $dora_admin)->{status}, 200,
   'audit mode: her tickets still work');

sub metric {
    $t->metric('ticket_alert_revocations_failed_total', rule => $_[0]);
}
is(metric('over_privilege'), 0, 'revocations failed: 0 while Redis is up');
is(metric('shared_ticket'), 0, 'revocations failed (shared_ticket): 0');

# ---- Redis down: logged at error, the request path unaffected -----------

$t->stop_redis;

my $zed = tk(sub => 'zed', tenant => 'acme', roles => 'reader');
for my $i (1 .. 3) {
    is($t->get("/admin/z-$i", ticket => $zed)->{status}, 403,
       "Redis down, over_privilege $i: 403 as always");
}
ok(wait_for(sub { grep { ($_->{sub} // '') eq 'zed' } alerts() }),
   'Redis down: the alert record is still written');
ok(wait_for(sub { $t->error_log =~ m{\[error\].*ticket alert: over_privilege: revoking subject "acme/zed" failed} }),
   'Redis down: the failed revocation is logged at error, with the subject');
is($t->get('/admin/fine', ticket => tk(sub => 'amy', roles => 'admin'))
       ->{status}, 200, 'Redis down: other requests go on');
ok(wait_for(sub { (metric('over_privilege') // 0) == 1 }),
   'ticket_alert_revocations_failed_total{rule="over_privilege"} 1');

$t->done;
done_testing;
