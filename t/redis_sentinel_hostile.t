#!/usr/bin/perl
# What a Sentinel publishes is outside bytes too.  The server here is not a
# stand-in for Sentinel: it is the attacker (or a broken Sentinel),
# speaking RESP over a real socket to the real module, which asks it for
# the primary (a real redis-server) and SUBSCRIBEs to +switch-master.  It
# then sends, when the test says so:
#   1. the same +switch-master, naming the primary the gateway is on,
#      2,000 times, and one for another master: no reconnection at all;
#   2. a +switch-master with a port out of range: the listening connection
#      is closed, logged, and opened again; the gateway keeps serving;
#   3. a real switch to a second redis-server: the gateway follows it, and
#      a revocation written there is refused.
# ticketctl is not steered by a host that would rewrite its address (a
# user in "mallory@127.0.0.1").  No alert, no crashed worker, no
# sanitizer report.

use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use IO::Socket::INET;
use Time::HiRes qw(time sleep);
use TicketTest;
use RevTest;

plan(tests => 12);

my $NAME = 'gw';

my $t = TicketTest->new;          # nginx, and the first primary
my $r2 = TicketTest->new;         # the primary of the real switch
my $d = $t->dir;
my $k = $t->keygen('ES256', 'k1');

my $p1 = $t->start_redis;
my $p2 = $r2->start_redis;

# ---- the hostile Sentinel --------------------------------------------------

sub bulk { my ($s) = @_; return '$' . length($s) . "\r\n$s\r\n" }

sub message {
    my ($payload) = @_;
    return "*3\r\n" . bulk('message') . bulk('+switch-master')
           . bulk($payload);
}

# the RESP commands in $buf (arrays of bulk strings): a list of [args],
# what is left unparsed kept in $buf
sub commands {
    my ($bufref) = @_;
    my @cmds;
    while ($$bufref =~ /\A\*(\d+)\r\n/) {
        my ($n, $pos) = ($1, length($&));
        my @args;
        for (1 .. $n) {
            my $rest = substr($$bufref, $pos);
            last unless $rest =~ /\A\$(\d+)\r\n/;
            my ($len, $hl) = ($1, length($&));
            last if length($rest) < $hl + $len + 2;
            push @args, substr($rest, $hl, $len);
            $pos += $hl + $len + 2;
        }
        last if @args < $n;
        push @cmds, \@args;
        substr($$bufref, 0, $pos) = '';
    }
    return @cmds;
}

sub serve {
    my ($c) = @_;
    my ($buf, $subscribed) = ('', 0);
    $c->blocking(0);
    while (1) {
        my $n = sysread($c, my $in, 65536);
        return if defined $n && $n == 0;
        $buf .= $in if $n;
        for my $cmd (commands(\$buf)) {
            my $verb = uc $cmd->[0];
            my $out;
            if ($verb eq 'SENTINEL' && lc($cmd->[1]) eq
                'get-master-addr-by-name' && ($cmd->[2] // '') eq 'evil') {
                # a host that would put a user into ticketctl's address
                $out = "*2\r\n" . bulk('mallory@127.0.0.1') . bulk($p1);
            } elsif ($verb eq 'SENTINEL' && lc($cmd->[1]) eq
                'get-master-addr-by-name') {
                $out = "*2\r\n" . bulk('127.0.0.1') . bulk($p1);
            } elsif ($verb eq 'SENTINEL') {
                $out = "*0\r\n";                    # no replicas
            } elsif ($verb eq 'SUBSCRIBE') {
                $out = "*3\r\n" . bulk('subscribe') . bulk($cmd->[1])
                       . ":1\r\n";
                $subscribed = 1;
            } elsif ($verb eq 'AUTH') {
                $out = "+OK\r\n";
            } elsif ($verb eq 'PING') {
                $out = $subscribed ? "*2\r\n" . bulk('pong') . bulk('')
                                   : "+PONG\r\n";
            } else {
                $out = "-ERR unknown command\r\n";
            }
            $c->blocking(1);
            syswrite($c, $out);
            $c->blocking(0);
        }
        if ($subscribed) {
            # each step once, whatever connection is listening then
            $c->blocking(1);
            if (-e "$d/go1" && !-e "$d/sent1") {
                syswrite($c, message("$NAME 10.0.0.9 6379 127.0.0.1 $p1")
                             x 2000);
                syswrite($c, message("other 127.0.0.1 $p1 127.0.0.1 $p2"));
                $t->write_file('sent1', '');
            }
            if (-e "$d/go2" && !-e "$d/sent2") {
                $t->write_file('sent2', '');
                syswrite($c, message("$NAME 127.0.0.1 $p1 127.0.0.1 99999"));
            }
            if (-e "$d/go3" && !-e "$d/sent3") {
                $t->write_file('sent3', '');
                syswrite($c, message("$NAME 127.0.0.1 $p1 127.0.0.1 $p2"));
            }
            $c->blocking(0);
        }
        sleep 0.05;
    }
}

my $sport = $t->port('hostile_sentinel');
my $srv = IO::Socket::INET->new(LocalAddr => '127.0.0.1',
                                LocalPort => $sport, Listen => 16,
                                ReuseAddr => 1)
    or die "listen $sport: $!";
my $spid = fork // die "fork: $!";
if (!$spid) {
    # on their own if the test is gone
    $SIG{CHLD} = 'IGNORE';
    alarm 120;
    while (my $c = $srv->accept) {
        next if fork;
        serve($c);
        exit 0;
    }
    exit 0;
}
close $srv;

# ---- the gateway -----------------------------------------------------------

# (a 2 s command timeout: on a loaded machine a late reply must not look
# like a reconnection the test counts)
$t->start(rev_conf(redis => "127.0.0.1:$sport sentinel=$NAME",
                   stale => 5, timeout => '2s'));

my $V = rev_mint($t, $k, sub => 'valid', jti => 'jti-valid');
ok(rev_watch($t, $V, until => 200, limit => 10)->{reached},
   'the primary the Sentinel named: valid ticket 200');
ok(rev_poll(sub {
    $t->error_log =~ /following \+switch-master of "$NAME"/;
}, 10), 'the worker listens for +switch-master');

sub count { my ($re) = @_; my $n = () = $t->error_log =~ /$re/g; $n }

# 1. the same primary, 2,000 times; another master's failover
$t->write_file('go1', '');
sleep 2;
is(count(qr/following it/), 0,
   '2,000 messages naming the primary it is on: no reconnection');
is(count(qr/connected to redis, loading/), 1,
   'the lists were loaded once');
is(rev_status($t, $V), 200, 'and it serves');

# 2. a port out of range
my $listening = count(qr/following \+switch-master of/);
$t->write_file('go2', '');
ok(rev_poll(sub {
    $t->error_log =~ /unexpected \+switch-master message/;
}, 10), 'a malformed message: the listening connection closed, logged');
ok(rev_poll(sub { count(qr/following \+switch-master of/) > $listening },
            10), 'and opened again');

# 3. a real switch: the second primary
$t->write_file('go3', '');
ok(rev_poll(sub {
    $t->error_log =~ /\+switch-master: the primary of "$NAME" is now 127\.0\.0\.1:$p2, following it/;
}, 10), 'a switch to the second primary is followed');

my $tk = rev_mint($t, $k, sub => 'mallory', jti => 'jti-hostile');
rev_write($r2, 'jti', 'jti-hostile', time + 3600);
ok(rev_watch($t, $tk, until => 401, limit => 10)->{reached},
   'a revocation written to the second primary is refused');

# ticketctl: a primary named "mallory@127.0.0.1" goes into no address
my ($rc, $out, $err) = $t->ticketctl('revoke', '--sentinel',
    "redis://ops\@127.0.0.1:$sport", '--password-file',
    $t->write_file('pw', "pw\n"), '--master', 'evil', '--jti', 'x',
    '--exp', time + 600);
isnt($rc, 0, 'ticketctl: a Sentinel naming a host with "@": not written');
like($err, qr/"mallory\@127\.0\.0\.1" that is not a host name or an IP address/,
     'and it says why');

kill 'KILL', $spid;
$t->done;
$r2->stop_redis;
