#!/usr/bin/perl
# A hostile or broken Redis (a compromised server, or anyone on the path of
# a plain-text ticket_redis): what it sends is outside bytes, and what it
# can make a worker do is bounded.  hiredis 0.14's reader holds any reply
# it is promised: before the fix a "$4000000000" bulk grew a worker to
# about 250 MB, an array of millions of ":1" to over 600 MB, and the
# worker read the flood in one event, so its timers (the command timeout)
# did not fire.  Now a reply past 4 MB closes the connection (what it
# held, at most about 70 MB of reply objects for 4 MB of ":1", freed), a read event
# takes at most 1 MB before yielding, and the gateway fails closed (503)
# as with any Redis it cannot follow.  An error text with a control byte
# cannot write a line of its own into the error log (a bare LF: hiredis
# 1.x's reader refuses it as a protocol error, 0.14's passes it and the
# module writes '?') nor colour an analyst's terminal (ESC, which both
# readers pass).
#
# The servers here are not stand-ins for Redis: they are the attacker,
# speaking RESP over a real socket to the real module.

use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use IO::Socket::INET;
use Time::HiRes qw(time sleep);
use TicketTest;
use RevTest;

plan(tests => 15);

my $t = TicketTest->new;
my $k = $t->keygen('ES256', 'k1');

# a server that answers the first command it is sent with $reply, then
# $flood again and again until the peer goes away
sub hostile {
    my ($name, $reply, $flood) = @_;
    my $port = $t->port($name);
    my $srv = IO::Socket::INET->new(LocalAddr => '127.0.0.1',
                                    LocalPort => $port, Listen => 16,
                                    ReuseAddr => 1)
        or die "listen $port: $!";
    my $pid = fork // die "fork: $!";
    if (!$pid) {
        $SIG{CHLD} = 'IGNORE';
        while (my $c = $srv->accept) {
            next if fork;
            my $buf;
            sysread($c, $buf, 65536);
            syswrite($c, $reply);
            if (defined $flood) {
                while (defined syswrite($c, $flood)) { }
            } else {
                sleep 30;
            }
            exit 0;
        }
        exit 0;
    }
    close $srv;
    return ($port, $pid);
}

my ($bulk_port, $bulk_pid) = hostile('bulk', "\$4000000000\r\n",
                                     'x' x (1 << 18));
my ($arr_port, $arr_pid) = hostile('array', "*100000000\r\n",
                                   ":1\r\n" x (1 << 16));
my ($err_port, $err_pid) = hostile('err',
    "-ERR nope\nFORGED [emerg] 1#1: made up by the server\r\n", undef);
my ($esc_port, $esc_pid) = hostile('esc',
    "-ERR nope\e[31mRED\r\n", undef);

my $V = $t->mint(key => $k->{key}, kid => 'k1', sub => 'alice',
                 kind => 'user', jti => 'jti-1');

sub rss_kb {
    my $max = 0;
    for my $pid ($t->worker_pids) {
        open my $fh, '<', "/proc/$pid/status" or next;
        local $/;
        my $st = <$fh>;
        close $fh;
        $max = $1 if $st =~ /^VmRSS:\s+(\d+)/m && $1 > $max;
    }
    return $max;
}

for my $case (['bulk', $bulk_port], ['array', $arr_port]) {
    my ($name, $port) = @$case;
    my $before = () = $t->error_log =~ /a reply larger than 4 MB/g;
    $t->start(rev_conf(redis => "127.0.0.1:$port", timeout => '5s',
                       stale => 1));

    # outcomes polled for: the connection closed for its size, at least
    # twice (it comes back and is closed again), requests answered 503
    my ($closed, @status);
    my $end = time + 30;
    while (time < $end) {
        push @status, $t->get('/api/x', ticket => $V)->{status};
        $closed = () = $t->error_log =~ /a reply larger than 4 MB/g;
        $closed -= $before;
        last if $closed >= 2;
        sleep 0.2;
    }
    ok($closed >= 2, "$name: the connection is closed for a reply past 4 MB"
                     . " (each time it comes back)");
    my $rss = rss_kb();
    # 4 MB of ":1" is a million reply objects, about 70 MB while they
    # are held: bounded, where the unbounded reader went past 600 MB
    # (AddressSanitizer's shadow and quarantine about double it)
    my $bound = ($ENV{SAN} ? 256 : 128) * 1024;
    ok($rss > 0 && $rss < $bound,
       "$name: the worker's memory is bounded ($rss kB resident)");
    ok(!grep({ $_ == 200 } @status),
       "$name: no ticket passes without a revocation state");
    is($status[-1], 503, "$name: fail closed: 503");
    $t->stop;
}

# waits until the error log matches $re; returns the log
sub log_until {
    my ($re) = @_;
    my $end = time + 20;
    my $log = '';
    while (time < $end) {
        $log = $t->error_log;
        last if $log =~ $re;
        sleep 0.2;
    }
    return $log;
}

$t->start(rev_conf(redis => "127.0.0.1:$esc_port", timeout => '1s',
                   stale => 1));
my $log = log_until(qr/refused: ERR nope/);
like($log, qr/refused: ERR nope\?\[31mRED/,
     "a server's error text is logged with its ESC as '?'");
ok($log !~ /\e/, 'no ESC byte reaches the error log');
is($t->get('/api/x', ticket => $V)->{status}, 503,
   'a server that refuses the setup: 503');
$t->stop;

$t->start(rev_conf(redis => "127.0.0.1:$err_port", timeout => '1s',
                   stale => 1));
$log = log_until(qr/refused: ERR nope\?FORGED|Bad simple string/);
like($log, qr/refused: ERR nope\?FORGED|"127\.0\.0\.1:$err_port": protocol error: Bad simple string value/,
     "an error text with a bare LF: refused by the reader, or logged with '?'");
ok($log !~ /^FORGED/m, 'and it makes no line of its own');
is($t->get('/api/x', ticket => $V)->{status}, 503,
   'a server that breaks the protocol: 503');

kill 'KILL', $bulk_pid, $arr_pid, $err_pid, $esc_pid;
$t->done;
