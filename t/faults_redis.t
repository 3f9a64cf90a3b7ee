#!/usr/bin/perl
# Redis misbehaving: slow to answer, out of memory, NOAUTH after a
# reconnect, a fake server speaking malformed RESP, and a revocation zone
# too small for the lists.  In each: no revoked ticket passes, no worker
# dies, the reason is in the error log, and service comes back by itself.

use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use IO::Socket::INET;
use IO::Select;
use POSIX qw(WNOHANG);
use Time::HiRes qw(time sleep);
use TicketTest;

plan(tests => 29);

my $t = TicketTest->new;
$t->start_redis(args => ['--enable-debug-command', 'yes']);
my $k = $t->keygen('ES256', 'k1');

sub http_body {
    my ($redis, $extra) = @_;
    $extra //= '';
    return <<"EOF";
    ticket_redis $redis timeout=300ms;
    ticket_revocation_max_stale 3s;
    $extra
    server {
        listen 127.0.0.1:%%PORT%%;
        location / {
            ticket user;
            ticket_keys %%DIR%%/keys/k1.jwks;
            proxy_pass http://127.0.0.1:%%PORT:backend%%;
        }
        location = /status {
            ticket_status;
        }
    }
    server {
        listen 127.0.0.1:%%PORT:backend%%;
        location / { return 200 "ok\\n"; }
    }
EOF
}

sub status_of {
    my ($tt, $ticket) = @_;
    return $tt->get('/', ticket => $ticket)->{status};
}

sub wait_for {
    my ($tt, $ticket, $want, $limit) = @_;
    my $end = time + ($limit // 5);
    my $st = 0;
    while (time < $end) {
        $st = status_of($tt, $ticket);
        return $st if $st == $want;
        sleep 0.02;
    }
    return $st;
}

# for $secs, every answer must be one of the allowed statuses
sub hold {
    my ($tt, $ticket, $secs, @allowed) = @_;
    my %ok = map { $_ => 1 } @allowed;
    my $end = time + $secs;
    my %seen;
    while (time < $end) {
        $seen{status_of($tt, $ticket)}++;
    }
    my @bad = grep { !$ok{$_} } keys %seen;
    return @bad ? join(',', map { "$_ x$seen{$_}" } sort keys %seen) : 'ok';
}

sub revoke {
    my ($tt, $jti) = @_;
    my $exp = int(time + 3600);
    $tt->redis_cmd('MULTI');
    $tt->redis_cmd('ZADD', 'ticket:revoked:jti', $exp, $jti);
    $tt->redis_cmd('XADD', 'ticket:events', '*', 'op', 'revoke', 'list',
                   'jti', 'member', $jti, 'value', $exp);
    return $tt->redis_cmd('EXEC');
}

sub jti_of {
    my ($ticket) = @_;
    my ($jti) = TicketTest::b64url_decode((split /\./, $ticket)[1])
                =~ /"jti":"([^"]+)"/;
    return $jti;
}

$t->start(http_body('127.0.0.1:%%PORT:redis%%'));

my $good = $t->mint(key => $k->{key}, kid => 'k1', sub => 'good',
                    kind => 'user');
my $r1 = $t->mint(key => $k->{key}, kid => 'k1', sub => 'r1',
                  kind => 'user');
my $r2 = $t->mint(key => $k->{key}, kid => 'k1', sub => 'r2',
                  kind => 'user');

is(wait_for($t, $good, 200), 200, 'loaded');
revoke($t, jti_of($r1));
is(wait_for($t, $r1, 401), 401, 'revoked before the faults');

# slow: Redis stops answering for 1.5 s (half of max_stale: the state was
# last refreshed when r1's entry arrived, just before, and the holds below
# take 1.5 s and more on a loaded machine)

my $ds = IO::Socket::INET->new(PeerAddr => '127.0.0.1:' . $t->port('redis'));
print $ds "*3\r\n\$5\r\nDEBUG\r\n\$5\r\nSLEEP\r\n\$3\r\n1.5\r\n";
is(hold($t, $good, 1.2, 200), 'ok', 'slow Redis: valid tickets pass');
is(hold($t, $r1, 0.3, 401), 'ok', 'slow Redis: revoked tickets do not');
my $sel = IO::Select->new($ds);
$sel->can_read(5);
close $ds;
revoke($t, jti_of($r2));
is(wait_for($t, $r2, 401), 401, 'after the slow spell, revocations flow');

# out of memory: Redis refuses writes; the gateway only reads

is($t->redis_cmd('CONFIG', 'SET', 'maxmemory', '1'), 'OK', 'maxmemory 1');
my ($rc, $o, $e) = $t->ticketctl('revoke', '--redis',
                                 '127.0.0.1:' . $t->port('redis'),
                                 '--sub', 'oom');
is($rc, 2, 'ticketctl revoke: OOM is an environment error');
like($e, qr/OOM/, 'ticketctl revoke: says OOM');
is(hold($t, $good, 1, 200), 'ok', 'OOM: the gateway keeps serving');
$t->redis_cmd('CONFIG', 'SET', 'maxmemory', '0');

# NOAUTH: a password appears, the connection is dropped, the gateway
# cannot authenticate: stale after max_stale, 503, never a revoked 200

$t->redis_cmd('CONFIG', 'SET', 'requirepass', 'now-secret');
$t->redis_cmd('AUTH', 'now-secret');
$t->redis_cmd('CLIENT', 'KILL', 'TYPE', 'normal', 'SKIPME', 'yes');
is(wait_for($t, $good, 503, 8), 503, 'NOAUTH: fail closed once stale');
like($t->error_log, qr/NOAUTH/, 'NOAUTH: logged');
is(hold($t, $r1, 0.5, 401, 503), 'ok', 'NOAUTH: revoked never 200');
$t->redis_cmd('CONFIG', 'SET', 'requirepass', '');
is(wait_for($t, $good, 200, 8), 200, 'NOAUTH: recovers by itself');

# a stream entry the gateway cannot read is never skipped: the lists are
# read again, and the row in the hash revokes

my $zed = $t->mint(key => $k->{key}, kid => 'k1', sub => 'zed',
                   kind => 'user');
is(status_of($t, $zed), 200, 'zed: 200 before');
$t->redis_cmd('MULTI');
$t->redis_cmd('HSET', 'ticket:revoked:sub', '/zed', int(time) + 5);
$t->redis_cmd('XADD', 'ticket:events', '*', 'op', 'revoke', 'list', 'sub',
              'member', '/zed', 'value', '1.7e9');
$t->redis_cmd('EXEC');
is(wait_for($t, $zed, 401), 401,
   'an unreadable entry: the lists are reloaded, the revocation holds');
like($t->error_log, qr/invalid entry [^\n]*loading the lists again/,
     'an unreadable entry: logged');

$t->stop;

# a fake server: malformed RESP of several kinds, never a crash, never 200

my @garbage = (
    "+OK\r\n" x 8,
    "\$999999999999\r\n",
    "*-7\r\n*3\r\n\$1\r\nx\r\n",
    "\x00\xff\r\n\r\n:notanumber\r\n",
    "*2\r\n\$1\r\n0\r\n*1\r\n*1\r\n*1\r\n\$0\r\n\r\n" x 4,
    "-ERR go away\r\n" x 4,
);

my $f = TicketTest->new;
my $kf = $f->keygen('ES256', 'k1');
my $fport = $f->port('fake');
my $fake = IO::Socket::INET->new(LocalAddr => "127.0.0.1:$fport",
                                 Listen => 16, ReuseAddr => 1)
    or die "fake server: $!\n";

my $fpid = fork // die;
if ($fpid == 0) {
    my $n = 0;
    while (my $c = $fake->accept) {
        my $sel = IO::Select->new($c);
        $sel->can_read(1);
        sysread $c, my $buf, 65536;
        syswrite $c, $garbage[$n++ % @garbage];
        close $c;
    }
    exit 0;
}
close $fake;

$f->start(http_body("127.0.0.1:$fport"));
my $fg = $f->mint(key => $kf->{key}, kid => 'k1', sub => 'g',
                  kind => 'user');
is(hold($f, $fg, 2, 503), 'ok', 'malformed RESP: not loaded, 503, no crash');
my $flog = $f->error_log;
like($flog, qr/ticket redis "127\.0\.0\.1:$fport"/,
     'malformed RESP: the errors name the server');
cmp_ok(scalar(() = $flog =~ /ticket redis/g), '>=', 3,
       'malformed RESP: several attempts, each refused');
kill 'TERM', $fpid;
waitpid $fpid, 0;
$f->done;

# a zone too small for the lists: crit, fail closed, never a revoked 200

my $z = TicketTest->new;
$z->start_redis;
my $kz = $z->keygen('ES256', 'k1');
my $zr = $z->mint(key => $kz->{key}, kid => 'k1', sub => 'zr',
                  kind => 'user');
my $zg = $z->mint(key => $kz->{key}, kid => 'k1', sub => 'zg',
                  kind => 'user');
my $exp = int(time + 3600);
my @args = ('ZADD', 'ticket:revoked:jti');
push @args, $exp, "filler-$_" for 1 .. 5000;
push @args, $exp, jti_of($zr);
$z->redis_cmd(@args);

$z->start(http_body('127.0.0.1:%%PORT:redis%%', 'ticket_shm_size 32k;'));
is(wait_for($z, $zg, 503), 503, 'zone full: valid tickets 503');
is(hold($z, $zr, 0.5, 401, 503), 'ok', 'zone full: revoked never 200');
like($z->error_log, qr/\[crit\].*revocation zone is full/,
     'zone full: crit logged');
like($z->get('/status')->{body}, qr/^ticket_revocation_zone_full 1$/m,
     'zone full: the status page says so');

# room again (a bigger zone on reload is a new zone): loads, serves

ok($z->reload(http_body('127.0.0.1:%%PORT:redis%%', 'ticket_shm_size 8m;')),
   'reload with a larger zone');
is(wait_for($z, $zg, 200), 200, 'zone with room: valid tickets pass');
is(status_of($z, $zr), 401, 'zone with room: the revoked one does not');
$z->done;

$t->done;
