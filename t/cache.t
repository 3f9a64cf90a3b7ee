#!/usr/bin/perl
# The verified-ticket cache: a repeated ticket skips parsing and the
# signature, never anything else: time, scope, key, revocation, policy,
# claims all hold on a hit.

use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use Time::HiRes qw(time sleep);
use TicketTest;

plan(tests => 31);

my $t = TicketTest->new;
$t->start_redis;

# two keys under the same kid, in different scopes
my $ka = $t->keygen('ES256', 'k1');
my $kb = TicketTest->new->keygen('ES256', 'k1');
$t->write_file('b.jwks', $t->read_file($kb->{jwks}));

$t->start(<<'EOF');
    log_format t '$uri $status $ticket_reason $ticket_claim_dept';
    ticket_redis 127.0.0.1:%%PORT:redis%% timeout=300ms;

    server {
        listen 127.0.0.1:%%PORT%%;
        access_log %%DIR%%/logs/t.log t;

        location /a/ {
            ticket user;
            ticket_keys %%DIR%%/keys/k1.jwks;
            ticket_leeway 0;
            ticket_set_header X-Dept dept;
            proxy_pass http://127.0.0.1:%%PORT:backend%%;
        }

        location /b/ {
            ticket user;
            ticket_keys %%DIR%%/b.jwks;
            proxy_pass http://127.0.0.1:%%PORT:backend%%;
        }

        location /admin/ {
            ticket user;
            ticket_keys %%DIR%%/keys/k1.jwks;
            ticket_require_role admin;
            proxy_pass http://127.0.0.1:%%PORT:backend%%;
        }

        location /sales/ {
            ticket user;
            ticket_keys %%DIR%%/keys/k1.jwks;
            ticket_require_claim dept sales;
            proxy_pass http://127.0.0.1:%%PORT:backend%%;
        }

        location /service/ {
            ticket service;
            ticket_keys %%DIR%%/keys/k1.jwks;
            proxy_pass http://127.0.0.1:%%PORT:backend%%;
        }

        location = /status {
            ticket_status;
        }
    }

    server {
        listen 127.0.0.1:%%PORT:backend%%;
        location / {
            return 200 "dept=$http_x_dept\n";
        }
    }
EOF

sub metric { $t->metric($_[0]) // -1 }

sub wait_status { $t->get_until(@_, 5)->{status} }

# wait until the revocation lists are loaded (fail closed answers 503)
my $warm = $t->mint(key => $ka->{key}, kid => 'k1', sub => 'warm',
                    kind => 'user');
is(wait_status('/a/', $warm, 200), 200, 'lists loaded');

my $alice = $t->mint(key => $ka->{key}, kid => 'k1', sub => 'alice',
                     kind => 'user', roles => 'reader',
                     claim => ['dept="sales"']);

my $h0 = metric('ticket_cache_hits_total');
my $m0 = metric('ticket_cache_misses_total');
my $v0 = metric('ticket_cache_entries{state="verified"}');
ok($v0 >= 1, "ticket_cache_entries{state=\"verified\"}: $v0 (warm's)");

my $r = $t->get('/a/', ticket => $alice);
is($r->{status}, 200, 'first request: verified');
like($r->{body}, qr/^dept=sales$/m, 'first request: claim forwarded');

$r = $t->get('/a/', ticket => $alice);
is($r->{status}, 200, 'second request: from the cache');
like($r->{body}, qr/^dept=sales$/m,
     'a cache hit still forwards a claim outside the snapshot');

is(metric('ticket_cache_misses_total') - $m0, 1, 'one miss');
is(metric('ticket_cache_hits_total') - $h0, 1, 'one hit');
is(metric('ticket_cache_entries{state="verified"}') - $v0, 1,
   'one entry more, kept by the hit');

# the same kid, another key: the fingerprint does not match
$r = $t->get('/b/', ticket => $alice);
is($r->{status}, 401, 'a scope with another key under the same kid: 401');

# policy is checked on every hit
is($t->get('/admin/', ticket => $alice)->{status}, 403,
   'hit in a scope requiring a role the ticket lacks: 403');
is($t->get('/sales/', ticket => $alice)->{status}, 200,
   'claim requirement met on a hit');
my $bob = $t->mint(key => $ka->{key}, kid => 'k1', sub => 'bob',
                   kind => 'user', claim => ['dept="eng"']);
is($t->get('/a/', ticket => $bob)->{status}, 200, 'bob verified');
is($t->get('/sales/', ticket => $bob)->{status}, 403,
   'claim requirement not met on a hit: 403');
is($t->get('/service/', ticket => $alice)->{status}, 403,
   'kind checked on a hit');

# revocation is checked on every hit
my ($jti) = TicketTest::b64url_decode((split /\./, $alice)[1])
            =~ /"jti":"([^"]+)"/;
my $exp = time + 3600;
$t->redis_cmd('MULTI');
$t->redis_cmd('ZADD', 'ticket:revoked:jti', int($exp), $jti);
$t->redis_cmd('XADD', 'ticket:events', '*', 'op', 'revoke', 'list', 'jti',
              'member', $jti, 'value', int($exp));
$t->redis_cmd('EXEC');
is(wait_status('/a/', $alice, 401), 401, 'a cached ticket, revoked: 401');

# time is checked on every hit: a ticket expiring in 2 s
my $now = int(time);
my $short = $t->mint(key => $ka->{key}, kid => 'k1', sub => 'carol',
                     kind => 'user', iat => $now, exp => $now + 2);
is($t->get('/a/', ticket => $short)->{status}, 200, 'short ticket: 200');
is($t->get('/a/', ticket => $short)->{status}, 200, 'short ticket: hit');
is(wait_status('/a/', $short, 401), 401,
   'the cached ticket expires on time');

# a failed signature is remembered: the replay costs no verification
my $bad = $warm;
my $at = length($bad) - 20;
substr($bad, $at, 1) = substr($bad, $at, 1) eq 'A' ? 'B' : 'A';
my $hb = metric('ticket_cache_hits_total');
my $fb = metric('ticket_cache_entries{state="failed"}');
my $vb = metric('ticket_cache_entries{state="verified"}');
is($t->get('/a/', ticket => $bad)->{status}, 401, 'bad signature: 401');
is($t->get('/a/', ticket => $bad)->{status}, 401, 'replayed: 401');
is(metric('ticket_cache_hits_total') - $hb, 1,
   'the replayed bad signature was a hit');
is(metric('ticket_cache_entries{state="failed"}') - $fb, 1,
   'one failed entry');
is(metric('ticket_cache_entries{state="verified"}'), $vb,
   'the verified entries as they were');

# rotation: the same kid, new key material, reload: old tickets fail
my $dave = $t->mint(key => $ka->{key}, kid => 'k1', sub => 'dave',
                    kind => 'user');
is($t->get('/a/', ticket => $dave)->{status}, 200, 'dave verified');
is($t->get('/a/', ticket => $dave)->{status}, 200, 'dave cached');
$t->write_file('keys/k1.jwks', $t->read_file($kb->{jwks}));
ok($t->reload, 'reloaded with a new key under the same kid');
is($t->get('/a/', ticket => $dave)->{status}, 401,
   'a ticket cached under the old key is not honoured');
my $eve = $t->mint(key => $kb->{key}, kid => 'k1', sub => 'eve',
                   kind => 'user');
is($t->get('/a/', ticket => $eve)->{status}, 200, 'the new key verifies');

$t->stop;

my $log = $t->read_file('logs/t.log');
like($log, qr{^/sales/ 200 ok sales$}m,
     '$ticket_claim_dept on a hit');

$t->done;
