#!/usr/bin/perl
# ticket_redis parameters: password_file (AUTH), db= (SELECT), prefix=,
# unix: sockets, several addresses tried in order (the first one dead).

use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use Time::HiRes qw(time sleep);
use TicketTest;

plan(tests => 15);

my $t = TicketTest->new;
my $dir = $t->dir;
my $sock = "$dir/redis.sock";

$t->start_redis(args => ['--requirepass', 'sekret word', '--unixsocket',
                         $sock, '--unixsocketperm', '777']);
$t->write_file('redis.pw', "sekret word\n", 0600);

# the harness's client speaks to the same server: authenticate it once
is($t->redis_cmd('AUTH', 'sekret word'), 'OK', 'test client authenticated');

my $k = $t->keygen('ES256', 'k1');
my $dead = $t->port('dead');    # nothing listens there

$t->start(<<"EOF", workers => 2);
    log_format t '\$uri \$status \$ticket_reason';
    ticket_redis 127.0.0.1:$dead 127.0.0.1:%%PORT:redis%%
                 password_file=%%DIR%%/redis.pw db=3 prefix=gw1: timeout=300ms;
    ticket_revocation_max_stale 5s;

    server {
        listen 127.0.0.1:%%PORT%%;
        access_log %%DIR%%/logs/t.log t;

        location / {
            ticket user;
            ticket_keys %%DIR%%/keys/k1.jwks;
            return 204;
        }

        location /x/ {
            ticket user;
            ticket_keys %%DIR%%/keys/k1.jwks;
            proxy_pass http://127.0.0.1:%%PORT:backend%%;
        }
    }

    server {
        listen 127.0.0.1:%%PORT:backend%%;
        location / { return 200 "ok\\n"; }
    }
EOF

sub wait_status {
    my ($ticket, $want) = @_;
    my $end = time + 5;
    my $st = 0;
    while (time < $end) {
        $st = $t->get('/x/', ticket => $ticket)->{status};
        return $st if $st == $want;
        sleep 0.02;
    }
    return $st;
}

sub revoke_jti {
    my ($db, $prefix, $jti) = @_;
    my $exp = time + 3600;
    $t->redis_cmd('SELECT', $db);
    $t->redis_cmd('MULTI');
    $t->redis_cmd('ZADD', "${prefix}revoked:jti", int($exp), $jti);
    $t->redis_cmd('XADD', "${prefix}events", '*', 'op', 'revoke',
                  'list', 'jti', 'member', $jti, 'value', int($exp));
    my $r = $t->redis_cmd('EXEC');
    return ref $r eq 'ARRAY' && @$r == 2;
}

my $a = $t->mint(key => $k->{key}, kid => 'k1', sub => 'a', kind => 'user',
                 jti => 'jti-a');
my $b = $t->mint(key => $k->{key}, kid => 'k1', sub => 'b', kind => 'user',
                 jti => 'jti-b');
my $c = $t->mint(key => $k->{key}, kid => 'k1', sub => 'c', kind => 'user',
                 jti => 'jti-c');

# the first address refuses: the gateway moves on to the second, where
# AUTH and SELECT 3 succeed and the lists load
is(wait_status($a, 200), 200, 'loaded through the second address');
like($t->error_log, qr/ticket redis "127\.0\.0\.1:$dead": .*(refused|failed)/,
     'the dead first address is logged');

ok(revoke_jti(0, 'gw1:', 'jti-a'), 'written into db 0');
ok(revoke_jti(3, 'ticket:', 'jti-b'), 'written into db 3, default prefix');
ok(revoke_jti(3, 'gw1:', 'jti-c'), 'written into db 3, prefix gw1:');

is(wait_status($c, 401), 401, 'db 3 with prefix gw1: is followed');
is($t->get('/x/', ticket => $a)->{status}, 200, 'db 0 is not');
is($t->get('/x/', ticket => $b)->{status}, 200,
   'the default prefix is not');

$t->stop;

# a unix socket, and a wrong password: refused, so never loaded: 503
my $u = TicketTest->new;
$u->write_file('good.pw', "sekret word\n", 0600);
$u->write_file('bad.pw', "wrong\n", 0600);
my $ku = $u->keygen('ES256', 'k1');

$u->start(<<"EOF");
    ticket_redis unix:$sock password_file=%%DIR%%/good.pw db=3 prefix=gw1:;
    server {
        listen 127.0.0.1:%%PORT%%;
        location / {
            ticket user;
            ticket_keys %%DIR%%/keys/k1.jwks;
            proxy_pass http://127.0.0.1:%%PORT:backend%%;
        }
    }
    server {
        listen 127.0.0.1:%%PORT:backend%%;
        location / { return 200 "ok\\n"; }
    }
EOF

my $cu = $u->mint(key => $ku->{key}, kid => 'k1', sub => 'c', kind => 'user',
                  jti => 'jti-c');
my $du = $u->mint(key => $ku->{key}, kid => 'k1', sub => 'd', kind => 'user',
                  jti => 'jti-d');

my $end = time + 5;
my $st;
while (time < $end) {
    $st = $u->get('/', ticket => $du)->{status};
    last if $st == 200;
    sleep 0.02;
}
is($st, 200, 'unix socket: loaded');
is($u->get('/', ticket => $cu)->{status}, 401,
   'unix socket: the revocation in db 3 is refused');

$u->reload(<<"EOF");
    ticket_redis unix:$sock password_file=%%DIR%%/bad.pw;
    ticket_shm_size 1m;
    server {
        listen 127.0.0.1:%%PORT%%;
        location / {
            ticket user;
            ticket_keys %%DIR%%/keys/k1.jwks;
            return 204;
        }
    }
EOF

# a new zone size is a new zone: not loaded, and AUTH fails: never 200
$end = time + 3;
my $ok200 = 0;
while (time < $end) {
    $ok200++ if $u->get('/', ticket => $du)->{status} == 200;
}
is($ok200, 0, 'wrong password: never loaded, never allowed');
like($u->error_log, qr/AUTH refused: (WRONGPASS|ERR invalid password)/,
     'the refused AUTH is logged');

$u->done;
$t->done;
