#!/usr/bin/perl
# ticket_alert: what counts and what is revoked.
#
# over_privilege counts only insufficient_role refusals: a wrong kind,
# audience or claim is a client sent to the wrong place (a service ticket
# at a user API), not a subject reaching for privilege.
#
# A ticket that came in a cookie is never revoked by an alert: any web
# page can make a victim's browser send their cookie to a forbidden path
# (a cross-site request), so counting it toward a revocation would let an
# attacker get the victim revoked.  The alert is still recorded, with
# action "record", and the error log says why nothing was revoked.

use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use TicketTest qw(hs1_token);
use Time::HiRes qw(time sleep);

plan(tests => 34);

my $t = TicketTest->new;
my $secret = 'alert-cookie-hmac-secret-0123456789abcd';
$t->write_file('hs.secret', "$secret\n");

$t->start_redis;

$t->start(<<'EOF');
    ticket_key hs1 HS256 %%DIR%%/hs.secret;
    ticket_redis 127.0.0.1:%%PORT:redis%% timeout=500ms;
    ticket_audit_log %%DIR%%/logs/audit.jsonl;
    ticket_audit_gateway gw-ck;

    server {
        listen 127.0.0.1:%%PORT%% reuseport;
        listen 127.0.0.2:%%PORT%% reuseport;
        listen 127.0.0.3:%%PORT%% reuseport;

        ticket user;
        ticket_token header:Authorization cookie:tk;
        ticket_alert over_privilege 3/1h revoke;

        location /admin/ {
            ticket_require_role admin;
            proxy_pass http://127.0.0.1:%%PORT:backend%%;
        }
        location /svc/ {
            ticket service;
            proxy_pass http://127.0.0.1:%%PORT:backend%%;
        }
        location /aud/ {
            ticket_audience billing;
            proxy_pass http://127.0.0.1:%%PORT:backend%%;
        }
        location /claim/ {
            ticket_require_claim dept sales;
            proxy_pass http://127.0.0.1:%%PORT:backend%%;
        }
        location /ok/ {
            proxy_pass http://127.0.0.1:%%PORT:backend%%;
        }
        location /api/ {
            ticket_alert shared_ticket 3/1h revoke;
            proxy_pass http://127.0.0.1:%%PORT:backend%%;
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

sub get_from { $t->get_from($_[0], $_[1], header => $_[2]) }

sub cookie { return $t->get($_[0], headers => [Cookie => "tk=$_[1]"]) }

sub records { $t->records(@_) }
sub alerts_of {
    my ($sub) = @_;
    return grep { $_->{event} eq 'alert' && ($_->{sub} // '') eq $sub }
           records();
}
sub wait_for { TicketTest::poll($_[0], 10) }
sub wait_status { $t->get_until(@_, 10)->{status} }

# ---- over_privilege counts insufficient_role only -------------------------

my $bob = tk(sub => 'bob', roles => 'reader', dept => 'ops');
is(wait_status('/ok/b', $bob, 200), 200, 'bob: allowed where nothing is '
   . 'required (the revocation state is loaded)');

for my $i (1 .. 2) {
    is($t->get("/svc/b-$i", ticket => $bob)->{status}, 403,
       "bob wrong kind $i: 403");
    is($t->get("/aud/b-$i", ticket => $bob)->{status}, 403,
       "bob wrong audience $i: 403");
    is($t->get("/claim/b-$i", ticket => $bob)->{status}, 403,
       "bob claim mismatch $i: 403");
}
for my $i (1 .. 3) {
    is($t->get("/admin/b-$i", ticket => $bob)->{status}, 403,
       "bob insufficient role $i: 403");
}

ok(wait_for(sub { alerts_of('bob') }), 'bob: an alert');
my @al = alerts_of('bob');
is(scalar @al, 1, 'bob: one alert');
is($al[0]{uri}, '/admin/b-3', 'bob: on the third role refusal, not before');
is($al[0]{count}, 3, 'bob: count 3 (the six other 403s did not count)');
is($al[0]{action}, 'revoke', 'bob (header): action revoke');
ok(wait_for(sub { defined $t->redis_cmd('HGET', 'ticket:revoked:sub',
                                        '/bob') }),
   'bob (header): his sub row is in Redis');

# ---- a cookie ticket is never revoked by an alert -------------------------

my $carol = tk(sub => 'carol', roles => 'reader');
is(cookie('/ok/c', $carol)->{status}, 200, 'carol (cookie): allowed');

# what a cross-site page can make carol's browser send
for my $i (1 .. 3) {
    is(cookie("/admin/c-$i", $carol)->{status}, 403,
       "carol (cookie) insufficient role $i: 403");
}

ok(wait_for(sub { alerts_of('carol') }), 'carol: the alert is recorded');
@al = alerts_of('carol');
is($al[0]{action}, 'record', 'carol (cookie): action record, not revoke');

# a cookie ticket shared from three addresses: recorded, not revoked

my $shared = tk(sub => 'erin', jti => 'j-erin-shared');
for my $from (qw(127.0.0.1 127.0.0.2 127.0.0.3)) {
    is(get_from($from, '/api/s', "Cookie: tk=$shared"), 200,
       "erin's cookie ticket from $from: 200");
}
ok(wait_for(sub { alerts_of('erin') }), 'erin: shared_ticket alert');
@al = alerts_of('erin');
is($al[0]{action}, 'record', 'erin (cookie): action record, not revoke');

# no poll for an absence: a later header alert's row lands first

my $dave = tk(sub => 'dave', roles => 'reader');
$t->get("/admin/d-$_", ticket => $dave) for 1 .. 3;
ok(wait_for(sub { defined $t->redis_cmd('HGET', 'ticket:revoked:sub',
                                        '/dave') }),
   'dave (header), later: his row is in Redis');
is(wait_status('/ok/d', $dave, 401), 401, 'dave: revoked');

is($t->redis_cmd('HGET', 'ticket:revoked:sub', '/carol'), undef,
   'carol: no sub row');
is($t->redis_cmd('ZSCORE', 'ticket:revoked:jti', 'j-erin-shared'), undef,
   'erin: no jti row');
is(cookie('/ok/c2', $carol)->{status}, 200, 'carol: still allowed');

$t->stop;

like($t->error_log,
     qr/ticket alert: over_privilege: not revoking subject "\/carol": the ticket came in a cookie/,
     'error log: why carol was not revoked');

$t->done;
