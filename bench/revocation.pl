#!/usr/bin/perl
# bench/revocation: how fast a revocation reaches every worker, and what a
# revoked jti costs in the shared zone.
#
#   perl bench/revocation.pl [--revocations N] [--signals N] [--entries N]
#
# Two nginx instances with two workers each (listen reuseport, so new
# connections spread over the workers; each answer names its worker in
# X-Worker) against one redis-server.  For each revocation: `ticketctl
# revoke` runs, and from the moment it returns, new connections go to both
# instances until every one of the four workers has answered 401; the
# time to the first 401 of the last worker is the propagation time.
# The signal path the same way: a CAEP session-revoked SET POSTed to one
# instance's ticket_ssf_receiver (answered once Redis holds the row), from
# the moment the POST is sent until every worker of both instances refuses
# a ticket of that session.
# Then the zone's bytes per revoked jti: N jtis written to Redis in one
# pipeline, a fresh nginx loads them and logs how much of its zone is in
# use, against the same figure for an empty list.
#
# Goals (issue "Revocation everywhere within a second"): p99 <= 20 ms,
# <= 128 bytes per revoked jti at 1,000,000 entries.

use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/../t/lib", "$FindBin::Bin/lib";
use Getopt::Long;
use IO::Socket::INET;
use Time::HiRes qw(time sleep);
use TicketTest;
use BenchSetup;

*pct = \&BenchSetup::percentile;

my $revocations = 200;
my $signals = 200;
my $entries = 1_000_000;
GetOptions('revocations=i' => \$revocations, 'signals=i' => \$signals,
           'entries=i' => \$entries)
    or die "usage: $0 [--revocations N] [--signals N] [--entries N]\n";

my $ga = TicketTest->new;
my $gb = TicketTest->new;
my $rport = $ga->start_redis;
my $k = $ga->keygen('HS256', 'k1');
my $idp = $ga->keygen('HS256', 'idp');
(my $idp_secret = $ga->read_file('keys/idp.key')) =~ s/\n+\z//;
my $ctl = $ga->ctl;

sub conf {
    my ($t) = @_;
    $t->write_file('html/index.html', "ok\n");
    return <<"EOF";
    access_log off;
    ticket_redis 127.0.0.1:$rport timeout=1s;
    server {
        listen 127.0.0.1:%%PORT%% reuseport;
        location / {
            ticket user;
            ticket_key k1 HS256 $k->{key};
            root %%DIR%%/html;
            add_header X-Worker \$pid always;
        }
        location = /ssf {
            ticket_key idp HS256 $idp->{key};
            ticket_issuer https://idp.bench/;
            ticket_audience https://gw.bench/;
            ticket_ssf_receiver;
        }
    }
EOF
}

mkdir $ga->dir . '/html';
mkdir $gb->dir . '/html';
$ga->start(conf($ga), workers => 2, log_level => 'notice');
$gb->start(conf($gb), workers => 2, log_level => 'notice');

my @inst = ($ga, $gb);

# one request on a new connection: (status, worker pid)
sub probe {
    my ($t, $ticket) = @_;
    my $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1:' . $t->port,
                                  Proto => 'tcp') or return (0, 0);
    print $s "GET / HTTP/1.1\r\nHost: b\r\nConnection: close\r\n"
           . "Authorization: Bearer $ticket\r\n\r\n";
    my $resp = '';
    while (sysread($s, my $buf, 4096)) { $resp .= $buf; }
    close $s;
    my ($st) = $resp =~ m{^HTTP/1\.1 (\d+)};
    my ($w) = $resp =~ m{\r\nX-Worker: (\d+)};
    return ($st // 0, $w // 0);
}

# wait until both instances have loaded and every worker answers
my %workers;
my $good = $ga->mint(key => $k->{key}, kid => 'k1', sub => 'warm',
                    kind => 'user', ttl => '1h');
my $end = time + 20;
while (time < $end && keys %workers < 4) {
    for my $t (@inst) {
        my ($st, $w) = probe($t, $good);
        $workers{"$t->{dir}:$w"} = 1 if $st == 200;
    }
}
die "not every worker answered 200: " . join(',', keys %workers) . "\n"
    if keys %workers < 4;

my @tickets = map {
    $ga->mint(key => $k->{key}, kid => 'k1', sub => "user$_", kind => 'user',
             jti => "bench-$_-" . int(rand 1e9), ttl => '1h')
} 1 .. $revocations;

my (@all, @first);
my $exp = time + 3600;

for my $i (0 .. $#tickets) {
    my $ticket = $tickets[$i];
    my ($jti) = TicketTest::b64url_decode((split /\./, $ticket)[1])
                =~ /"jti":"([^"]+)"/;

    my ($rc, $o, $e) = $ga->run_cmd($ctl, 'revoke', '--redis',
                                   "127.0.0.1:$rport", '--jti', $jti,
                                   '--exp', int($exp));
    my $t0 = time;
    die "ticketctl revoke failed: $e" if $rc != 0;

    my %seen;
    my $firstany;
    my $deadline = $t0 + 5;
    while (keys %seen < 4 && time < $deadline) {
        for my $t (@inst) {
            my ($st, $w) = probe($t, $ticket);
            my $now = time;
            if ($st == 401) {
                $firstany //= $now - $t0;
                $seen{"$t->{dir}:$w"} //= $now - $t0;
            } elsif ($st == 200 && $seen{"$t->{dir}:$w"}) {
                die "worker $w answered 200 after it had refused\n";
            }
        }
    }
    die "revocation $i did not reach every worker within 5 s\n"
        if keys %seen < 4;

    my ($last) = sort { $b <=> $a } values %seen;
    push @all, $last * 1000;
    push @first, $firstany * 1000;
}

printf "revocation propagation over %d revocations, 2 instances x 2 "
     . "workers:\n", scalar @all;
printf "  every worker refuses: p50 %.2f ms  p99 %.2f ms  max %.2f ms\n",
       pct(50, @all), pct(99, @all), pct(100, @all);
printf "  first worker refuses: p50 %.2f ms  p99 %.2f ms\n",
       pct(50, @first), pct(99, @first);

# ---- the signal path: SET POSTed -> every worker refuses -----------------

my (@sall, @sfirst);
my $CAEP = 'https://schemas.openid.net/secevent/caep/event-type/';

for my $i (1 .. $signals) {
    my $sid = "bench-sid-$i-" . int(rand 1e9);
    my $ticket = $ga->mint(key => $k->{key}, kid => 'k1', sub => "s$i",
                           kind => 'user', sid => $sid, ttl => '1h');
    my $claims = sprintf('{"iss":"https://idp.bench/","jti":"%s-set",'
                         . '"iat":%d,"aud":"https://gw.bench/",'
                         . '"sub_id":{"format":"opaque","id":"%s"},'
                         . '"events":{"%ssession-revoked":{}}}',
                         $sid, time, $sid, $CAEP);
    my $set = TicketTest::hs_token('{"typ":"secevent+jwt","alg":"HS256",'
                                   . '"kid":"idp"}', $claims, $idp_secret);

    my $t0 = time;
    my $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1:' . $ga->port,
                                  Proto => 'tcp') or die "connect: $!\n";
    print $s "POST /ssf HTTP/1.1\r\nHost: b\r\nConnection: close\r\n"
           . "Content-Type: application/secevent+jwt\r\n"
           . "Content-Length: " . length($set) . "\r\n\r\n$set";
    my $resp = '';
    while (sysread($s, my $buf, 4096)) { $resp .= $buf; }
    close $s;
    die "the SET was not accepted: $resp\n" unless $resp =~ m{^HTTP/1\.1 202};

    my %seen;
    my $firstany;
    my $deadline = $t0 + 5;
    while (keys %seen < 4 && time < $deadline) {
        for my $t (@inst) {
            my ($st, $w) = probe($t, $ticket);
            my $now = time;
            if ($st == 401) {
                $firstany //= $now - $t0;
                $seen{"$t->{dir}:$w"} //= $now - $t0;
            } elsif ($st == 200 && $seen{"$t->{dir}:$w"}) {
                die "worker $w answered 200 after it had refused\n";
            }
        }
    }
    die "signal $i did not reach every worker within 5 s\n"
        if keys %seen < 4;

    my ($last) = sort { $b <=> $a } values %seen;
    push @sall, $last * 1000;
    push @sfirst, $firstany * 1000;
}

if (@sall) {
    printf "signal (SSF push, CAEP session-revoked) over %d SETs, "
         . "2 instances x 2 workers:\n", scalar @sall;
    printf "  POST sent -> every worker refuses: p50 %.2f ms  p99 %.2f ms"
         . "  max %.2f ms\n", pct(50, @sall), pct(99, @sall), pct(100, @sall);
    printf "  POST sent -> first worker refuses: p50 %.2f ms  p99 %.2f ms\n",
           pct(50, @sfirst), pct(99, @sfirst);
}

$ga->stop;
$gb->stop;

# ---- bytes per revoked jti -----------------------------------------------

sub zone_in_use {
    my ($t, $want) = @_;
    my $end = time + 120;
    while (time < $end) {
        for my $line (reverse split /\n/, $t->error_log) {
            if ($line =~ /lists loaded: jti (\d+),.*zone (\d+) of (\d+)/) {
                return ($2, $3) if $1 >= $want;
            }
        }
        sleep 0.2;
    }
    die "the zone did not load $want jtis: " . $t->error_log;
}

my $shm = '512m';

my $c0 = TicketTest->new;
$ga->redis_cmd('FLUSHALL');
mkdir $c0->dir . '/html';
$c0->start(conf($c0) =~ s/(ticket_redis)/ticket_shm_size $shm;\n    $1/r,
           workers => 1, log_level => 'notice');
my ($empty) = zone_in_use($c0, 0);
$c0->stop;

# N jtis in one pipeline, as ZADD batches of 1000
{
    my $s = IO::Socket::INET->new(PeerAddr => "127.0.0.1:$rport")
        or die "redis: $!\n";
    my $sent = 0;
    my $batch = 1000;
    for (my $i = 0; $i < $entries; $i += $batch) {
        my $n = $entries - $i < $batch ? $entries - $i : $batch;
        my @args = ('ZADD', 'ticket:revoked:jti');
        for my $j ($i .. $i + $n - 1) {
            push @args, $exp, sprintf('%08x-%04x-4%03x-%04x-%012x',
                                      $j, $j & 0xffff, $j & 0xfff,
                                      0x8000 | ($j & 0x3fff), $j * 7919);
        }
        my $req = '*' . scalar(@args) . "\r\n";
        $req .= '$' . length($_) . "\r\n$_\r\n" for @args;
        print $s $req;
        $sent++;
    }
    for (1 .. $sent) {
        my $line = <$s>;
        die "redis: $line" unless defined $line && $line =~ /^:/;
    }
    close $s;
}

my $c1 = TicketTest->new;
mkdir $c1->dir . '/html';
my $t1 = time;
$c1->start(conf($c1) =~ s/(ticket_redis)/ticket_shm_size $shm;\n    $1/r,
           workers => 1, log_level => 'notice');
my ($full, $size) = zone_in_use($c1, $entries);
my $took = time - $t1;
$c1->stop;

printf "zone: %d revoked jtis (36-character UUIDs) use %d bytes over an "
     . "empty zone's %d: %.1f bytes per jti; loaded in %.1f s\n",
       $entries, $full - $empty, $empty, ($full - $empty) / $entries, $took;

$ga->stop_redis;
