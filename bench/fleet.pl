#!/usr/bin/perl
# bench/fleet: a fleet of gateways following one Redis primary and two
# replicas (issue 15).
#
#   perl bench/fleet.pl [--gateways N] [--revocations N] [--entries N]
#                       [--idle S] [--interval MS] [--shm SIZE]
#   make bench-fleet FLEET=50
#
# N nginx instances, one worker each, each with its own prefix and port on
# loopback; a redis-server primary and two replicas (--replicaof).  Each
# gateway's ticket_redis lists all three servers, its first address
# chosen round robin (gateway i starts at server i mod 3), so a third of
# the fleet reads the primary and a third each replica; the others are its
# fallbacks, in the same rotation.
#
# (a) Propagation.  Per revocation: a fresh ticket is checked on every
#     gateway (200, so it sits in every verified-ticket cache, as a ticket
#     in use does), `ticketctl revoke --jti` writes it to the primary, and
#     from the moment ticketctl returns every gateway is probed at once
#     (one keep-alive connection each, non-blocking, IO::Select) and again
#     as soon as it answers 200 (no sooner than --interval after its last
#     probe), until it answers 401.  Time to the first 401 of the last
#     gateway (every gateway refuses) and of the first one; the probe's
#     round trip (request sent to answer read) while it runs, and before,
#     with the fleet idle.
# (b) Redis.  INFO cpu (used_cpu_sys + used_cpu_user) and INFO stats
#     (total_net_output_bytes, total_net_repl_output_bytes) of each server
#     across the revocations, less the same over --idle seconds of an idle
#     fleet (the XREAD that returns once a second, XINFO STREAM, INFO
#     replication of every gateway) scaled to the revocations' duration;
#     INFO clients connected_clients per server (less this script's own
#     connection).
# (c) Load at start.  --entries revoked jtis written to the primary in
#     pipelined ZADDs of 1,000 (bench/lib/BenchSetup.pm's fill_redis),
#     waited for on both replicas; every gateway stopped and started again
#     at once; each one's ticket_status polled until
#     ticket_revocation_entries{list="jti"} reaches --entries.  Also how
#     many loads each gateway began ("loading revocation lists" in its
#     error log) and how many Redis commands timed out.
#
# Goal (issue 15): every gateway refuses within p99 <= 20 ms at 50.

use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/../t/lib", "$FindBin::Bin/lib";
use Getopt::Long;
use IO::Select;
use IO::Socket::INET;
use POSIX qw(strftime);
use Time::HiRes qw(time sleep);
use TicketTest;
use BenchSetup;

my $gateways = $ENV{FLEET} || 50;
my $revocations = 200;
my $entries = 1_000_000;
my $idle = 10;
my $interval = 2;               # ms
my $shm = '256m';
my $load_timeout = 900;         # s
GetOptions('gateways=i' => \$gateways, 'revocations=i' => \$revocations,
           'entries=i' => \$entries, 'idle=i' => \$idle,
           'interval=f' => \$interval, 'shm=s' => \$shm,
           'load-timeout=i' => \$load_timeout)
    or die "usage: $0 [--gateways N] [--revocations N] [--entries N] "
         . "[--idle S] [--interval MS] [--shm SIZE]\n";

*pct = \&BenchSetup::percentile;

sub loadavg {
    open my $fh, '<', '/proc/loadavg' or return '?';
    my ($a, $b, $c) = split ' ', <$fh>;
    return "$a $b $c";
}

printf "fleet: %d gateways, %d revocations, %d jtis at start; %s UTC, "
     . "load average %s, %d cpus\n", $gateways, $revocations, $entries,
       strftime('%Y-%m-%d %H:%M', gmtime), loadavg(),
       scalar(() = `cat /proc/cpuinfo` =~ /^processor/mg);

# ---- Redis: a primary and two replicas ------------------------------------

# the primary pings its replicas every second, so an idle stream does not
# make a replica look stale (docs/operators.md)
my $primary = TicketTest->new;
my $pport = $primary->start_redis(args => ['--repl-ping-replica-period', '1',
                                           '--maxclients', '10000']);
my @redis = ($primary);
for (1 .. 2) {
    my $r = TicketTest->new;
    $r->start_redis(args => ['--replicaof', '127.0.0.1', $pport,
                             '--repl-ping-replica-period', '1',
                             '--maxclients', '10000']);
    push @redis, $r;
}
my @rname = ('primary', 'replica1', 'replica2');

sub wait_replicas {
    my ($what) = @_;
    my $end = time + 120;
    for my $r (@redis[1, 2]) {
        while (1) {
            my $i = BenchSetup::redis_info($r, 'replication');
            my $up = ($i->{master_link_status} // '') eq 'up';
            last if $up && (!$what || $what->($r));
            die "a replica did not catch up\n" if time > $end;
            sleep 0.1;
        }
    }
}
wait_replicas();

sub cpu_of {
    my ($i) = @_;
    return $i->{used_cpu_sys} + $i->{used_cpu_user};
}

sub redis_sample {
    my @s;
    for my $r (@redis) {
        my %x = (%{BenchSetup::redis_info($r, 'cpu')},
                 %{BenchSetup::redis_info($r, 'stats')},
                 %{BenchSetup::redis_info($r, 'clients')},
                 %{BenchSetup::redis_info($r, 'replication')});
        # connected_clients counts this script's connection and, on a
        # replica, its link to the primary
        my $own = 1 + ($x{role} eq 'slave' ? 1 : 0);
        push @s, { cpu => cpu_of(\%x), out => $x{total_net_output_bytes},
                   repl => $x{total_net_repl_output_bytes} // 0,
                   in => $x{total_net_input_bytes},
                   clients => $x{connected_clients} - $own,
                   blocked => $x{blocked_clients} };
    }
    return { at => time, s => \@s };
}

sub redis_delta {
    my ($a, $b) = @_;
    my @d;
    for my $j (0 .. $#redis) {
        push @d, { map { $_ => $b->{s}[$j]{$_} - $a->{s}[$j]{$_} }
                   qw(cpu out repl in) };
    }
    return { secs => $b->{at} - $a->{at}, d => \@d };
}

my $key_t = TicketTest->new;
my $k = $key_t->keygen('HS256', 'k1');
my $ctl = $key_t->ctl;

# What a revocation costs Redis with no gateway following: ticketctl's
# connection and MULTI/EXEC on the primary, replication to both replicas.
# The fleet's figures below less this are what the gateways cost.
my $fixed_n = 20;
my $f_idle = do {
    my $a = redis_sample();
    sleep 2;
    redis_delta($a, redis_sample());
};
my $f_rev = do {
    my $a = redis_sample();
    for my $n (1 .. $fixed_n) {
        my ($rc, $o, $e) = $key_t->run_cmd($ctl, 'revoke', '--redis',
            "127.0.0.1:$pport", '--jti', "fleet-nobody-$n-" . int(rand 1e9),
            '--exp', int(time) + 3600);
        die "ticketctl revoke failed: $e" if $rc != 0;
    }
    redis_delta($a, redis_sample());
};

# ---- the gateways ---------------------------------------------------------

my @addr = map { '127.0.0.1:' . $_->{redis_port} } @redis;

sub conf {
    my ($i) = @_;
    my @a = map { $addr[($i + $_) % 3] } 0 .. 2;
    return <<"EOF";
    access_log off;
    ticket_redis @a timeout=1s;
    ticket_shm_size $shm;
    server {
        listen 127.0.0.1:%%PORT%%;
        keepalive_requests 1000000;
        location / {
            ticket user;
            ticket_key k1 HS256 $k->{key};
            root %%DIR%%/html;
        }
        location = /ticket-status { ticket_status; }
    }
EOF
}

my @gw;
for my $i (0 .. $gateways - 1) {
    my $t = TicketTest->new;
    mkdir $t->dir . '/html';
    $t->write_file('html/index.html', "ok\n");
    $t->{fleet_conf} = conf($i);
    push @gw, $t;
}

sub start_all {
    my $t0 = time;
    my @at;
    for my $t (@gw) {
        push @at, time;
        $t->start($t->{fleet_conf}, workers => 1, log_level => 'notice',
                  wait_ports => []);
    }
    return ($t0, @at);
}

# every gateway's ticket_revocation_entries{list="jti"} at least $want
# and its lists loaded; returns the time each one got there
sub wait_loaded {
    my ($want, $timeout, @since) = @_;
    my %done;
    my $end = time + $timeout;
    while (keys %done < @gw && time < $end) {
        for my $i (0 .. $#gw) {
            next if exists $done{$i};
            my $m = eval { BenchSetup::status_metrics($gw[$i]) } // {};
            my $n = $m->{'ticket_revocation_entries{list="jti"}'} // -1;
            if ($n >= $want && ($m->{ticket_revocation_loaded} // 0)) {
                $done{$i} = time - ($since[$i] // 0);
            }
        }
        sleep 0.1 if keys %done < @gw;
    }
    return \%done;
}

my ($started) = start_all();
my $ready = wait_loaded(0, 60);
die sprintf("only %d of %d gateways loaded their lists in 60 s\n",
            scalar(keys %$ready), $gateways) if keys %$ready < @gw;
printf "fleet up: %d gateways loaded (empty lists) %.1f s after the first "
     . "started\n", $gateways, (sort { $b <=> $a } values %$ready)[0]
                               - $started;

# ---- probing every gateway at once ----------------------------------------

my $sel = IO::Select->new;
my %by_fd;          # fileno => gateway index
my @conn;           # per gateway: { sock, buf, sent }

sub gw_connect {
    my ($i) = @_;
    if (my $c = $conn[$i]) {
        $sel->remove($c->{sock});
        delete $by_fd{fileno $c->{sock}};
        close $c->{sock};
    }
    my $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1:' . $gw[$i]->port,
                                  Proto => 'tcp')
        or die "gateway $i: connect: $!\n";
    $s->blocking(0);
    $s->autoflush(1);
    $conn[$i] = { sock => $s, buf => '' };
    $by_fd{fileno $s} = $i;
    $sel->add($s);
}

sub gw_send {
    my ($i, $ticket) = @_;
    gw_connect($i) unless $conn[$i];
    my $c = $conn[$i];
    my $req = "GET / HTTP/1.1\r\nHost: fleet\r\n"
            . "Authorization: Bearer $ticket\r\n\r\n";
    my $n = syswrite $c->{sock}, $req;
    if (!defined $n || $n != length $req) {
        gw_connect($i);
        $c = $conn[$i];
        $n = syswrite $c->{sock}, $req;
        die "gateway $i: cannot send a request: $!\n"
            if !defined $n || $n != length $req;
    }
    $c->{buf} = '';
    $c->{sent} = time;
}

# reads what is there; returns the status once a whole response is in
sub gw_read {
    my ($i) = @_;
    my $c = $conn[$i];
    my $n = sysread $c->{sock}, my $buf, 65536;
    return undef if !defined $n && ($!{EAGAIN} || $!{EWOULDBLOCK});
    if (!$n) {
        # closed before a whole response: probe again on a new connection
        gw_connect($i);
        return 'closed';
    }
    $c->{buf} .= $buf;
    my $h = index $c->{buf}, "\r\n\r\n";
    return undef if $h < 0;
    my $head = substr $c->{buf}, 0, $h;
    my ($len) = $head =~ /\r\nContent-Length: (\d+)/i;
    return undef if length($c->{buf}) < $h + 4 + ($len // 0);
    my ($st) = $head =~ m{^HTTP/1\.1 (\d+)};
    gw_connect($i) if $head =~ /\r\nConnection: close/i;
    return $st // 0;
}

# Probe the gateways in @$which with $ticket until each answers $want,
# each again as soon as it answered otherwise (at most every $interval
# ms).  Returns ({ index => seconds from $t0 to its $want }, [round trip
# of every probe in ms], { status => count } of the other answers).
sub probe_until {
    my ($which, $ticket, $want, $t0, $timeout) = @_;
    my (%at, @rtt, %other, %next);
    my %pending = map { $_ => 1 } @$which;
    gw_send($_, $ticket) for @$which;
    my %inflight = %pending;
    my $end = $t0 + $timeout;
    while (%pending && time < $end) {
        # probes due again
        my $now = time;
        my $wait = 0.05;
        for my $i (keys %next) {
            if ($next{$i} <= $now) {
                delete $next{$i};
                gw_send($i, $ticket);
                $inflight{$i} = 1;
            } elsif ($next{$i} - $now < $wait) {
                $wait = $next{$i} - $now;
            }
        }
        my @ready = $sel->can_read($wait);
        for my $s (@ready) {
            my $i = $by_fd{fileno $s} // next;
            next unless $inflight{$i};
            my $st = gw_read($i);
            next unless defined $st;
            my $t = time;
            delete $inflight{$i};
            if ($st eq 'closed') {
                $next{$i} = $t;
                next;
            }
            push @rtt, ($t - $conn[$i]{sent}) * 1000;
            if ($st == $want) {
                $at{$i} = $t - $t0;
                delete $pending{$i};
            } else {
                $other{$st}++;
                $next{$i} = $conn[$i]{sent} + $interval / 1000;
            }
        }
    }
    # whatever is still in flight is read and dropped
    for my $i (keys %inflight) {
        my $end2 = time + 5;
        while (time < $end2) {
            last if IO::Select->new($conn[$i]{sock})->can_read(0.1)
                    && defined gw_read($i);
        }
    }
    return (\%at, \@rtt, \%other);
}

my $exp = int(time) + 3 * 3600;
my @all_gw = 0 .. $#gw;

sub mint_ticket {
    my ($n) = @_;
    my $jti = sprintf 'fleet-%d-%d', $n, int(rand 1e9);
    return ($jti, $key_t->mint(key => $k->{key}, kid => 'k1',
                               sub => "fleet$n", kind => 'user', jti => $jti,
                               ttl => '1h'));
}

# the probe with the fleet idle: every gateway at once, a valid ticket
my (@idle_rtt, @idle_sweep);
{
    my (undef, $warm) = mint_ticket(0);
    for (1 .. 20) {
        my $t0 = time;
        my ($at, $rtt) = probe_until(\@all_gw, $warm, 200, $t0, 10);
        die "not every gateway answered 200\n" if keys %$at < @gw;
        push @idle_rtt, @$rtt;
        push @idle_sweep, (sort { $b <=> $a } values %$at)[0] * 1000;
    }
}

# (b) the idle fleet's cost to Redis
my $i0 = redis_sample();
sleep $idle;
my $i1 = redis_sample();
my $idle_d = redis_delta($i0, $i1);

# (a) revocations
my @tickets = map { [mint_ticket($_)] } 1 .. $revocations;
my (@every, @first, @busy_rtt, %other, @missed);
my $revoke_secs = 0;
my $r0 = redis_sample();
for my $n (0 .. $#tickets) {
    my ($jti, $ticket) = @{$tickets[$n]};

    # in use: allowed (and cached) on every gateway
    my ($ok) = probe_until(\@all_gw, $ticket, 200, time, 10);
    die "revocation $n: the ticket was not allowed everywhere\n"
        if keys %$ok < @gw;

    my $ts = time;
    my ($rc, $o, $e) = $key_t->run_cmd($ctl, 'revoke', '--redis',
                                       "127.0.0.1:$pport", '--jti', $jti,
                                       '--exp', $exp);
    my $t0 = time;
    die "ticketctl revoke failed: $e" if $rc != 0;

    my ($at, $rtt, $oth) = probe_until(\@all_gw, $ticket, 401, $t0, 10);
    $revoke_secs += time - $ts;
    push @busy_rtt, @$rtt;
    $other{$_} += $oth->{$_} for keys %$oth;
    if (keys %$at < @gw) {
        push @missed, $n;
        next;
    }
    my @v = sort { $a <=> $b } values %$at;
    push @every, $v[-1] * 1000;
    push @first, $v[0] * 1000;
}
my $r1 = redis_sample();
my $rev_d = redis_delta($r0, $r1);

printf "\n(a) revocation propagation, %d gateways x 1 worker, %d "
     . "revocations (%d reached every gateway within 10 s):\n",
       $gateways, $revocations, scalar @every;
printf "  ticketctl revoke returned -> every gateway refuses: p50 %.2f ms  "
     . "p99 %.2f ms  max %.2f ms\n", pct(50, @every), pct(99, @every),
       pct(100, @every) if @every;
printf "  ticketctl revoke returned -> first gateway refuses: p50 %.2f ms  "
     . "p99 %.2f ms\n", pct(50, @first), pct(99, @first) if @first;
printf "  probe round trip, fleet idle (%d probes): p50 %.2f ms  p99 %.2f ms;"
     . " all %d answered: p50 %.2f ms  p99 %.2f ms\n", scalar @idle_rtt,
       pct(50, @idle_rtt), pct(99, @idle_rtt), $gateways,
       pct(50, @idle_sweep), pct(99, @idle_sweep);
printf "  probe round trip while waiting for the 401s (%d probes): p50 %.2f "
     . "ms  p99 %.2f ms; other answers: %s\n", scalar @busy_rtt,
       pct(50, @busy_rtt), pct(99, @busy_rtt),
       join(', ', map { "$_ x$other{$_}" } sort keys %other) || 'none';
printf "  missed (not every gateway within 10 s): %s\n",
       @missed ? join(',', @missed) : 'none';

printf "\n(b) Redis, %d gateways over 3 servers:\n", $gateways;
my $conns = redis_sample();
my ($tot_cpu, $tot_net) = (0, 0);
for my $j (0 .. $#redis) {
    my $id = $idle_d->{d}[$j];
    my $rd = $rev_d->{d}[$j];
    my $scale = $rev_d->{secs} / $idle_d->{secs};
    my $net_cpu = $rd->{cpu} - $id->{cpu} * $scale;
    my $net_out = $rd->{out} + $rd->{repl}
                  - ($id->{out} + $id->{repl}) * $scale;
    $tot_cpu += $net_cpu;
    $tot_net += $net_out;
    printf "  %-8s connected_clients %d (blocked %d); idle: %.2f ms cpu/s, "
         . "%.0f bytes out/s; a revocation: %.3f ms cpu, %.0f bytes out "
         . "(over idle)\n", $rname[$j], $conns->{s}[$j]{clients},
           $conns->{s}[$j]{blocked}, 1000 * $id->{cpu} / $idle_d->{secs},
           ($id->{out} + $id->{repl}) / $idle_d->{secs},
           1000 * $net_cpu / $revocations, $net_out / $revocations;
}
my ($fix_cpu, $fix_net) = (0, 0);
for my $j (0 .. $#redis) {
    my $scale = $f_rev->{secs} / $f_idle->{secs};
    $fix_cpu += $f_rev->{d}[$j]{cpu} - $f_idle->{d}[$j]{cpu} * $scale;
    $fix_net += $f_rev->{d}[$j]{out} + $f_rev->{d}[$j]{repl}
                - ($f_idle->{d}[$j]{out} + $f_idle->{d}[$j]{repl}) * $scale;
}
$fix_cpu /= $fixed_n;
$fix_net /= $fixed_n;
printf "  all three: %.3f ms Redis cpu and %.0f bytes out a revocation; "
     . "%.1f s of revocations\n", 1000 * $tot_cpu / $revocations,
       $tot_net / $revocations, $rev_d->{secs};
printf "  with no gateway following (%d revocations): %.3f ms cpu, %.0f "
     . "bytes out a revocation\n", $fixed_n, 1000 * $fix_cpu, $fix_net;
printf "  so a gateway costs Redis %.1f us cpu and %.0f bytes out a "
     . "revocation, and idle %.1f us cpu a second\n",
       1e6 * ($tot_cpu / $revocations - $fix_cpu) / $gateways,
       ($tot_net / $revocations - $fix_net) / $gateways,
       eval {
           my $c = 0;
           $c += $idle_d->{d}[$_]{cpu} / $idle_d->{secs}
                 - $f_idle->{d}[$_]{cpu} / $f_idle->{secs} for 0 .. $#redis;
           1e6 * $c / $gateways;
       };

# ---- (c) 1,000,000 revoked jtis at start ----------------------------------

close $_->{sock} for grep { $_ } @conn;
@conn = ();
%by_fd = ();
$sel = IO::Select->new;

sub log_count {
    my ($t, $re) = @_;
    my $n = () = $t->error_log =~ /$re/g;
    return $n;
}

load_at_start() if $entries;

sub load_at_start {
    my $f0 = time;
    BenchSetup::fill_redis($pport, $entries, $exp);
    my $want = $entries + $fixed_n + @tickets - @missed;
    wait_replicas(sub {
        ($_[0]->redis_cmd('ZCARD', 'ticket:revoked:jti') // 0) >= $want });
    printf "\n(c) %d revoked jtis written to the primary and on both "
         . "replicas in %.1f s\n", $entries, time - $f0;

    $_->stop for @gw;
    my $LOADS = qr/loading revocation lists/;
    my $TIMEOUTS = qr/ticket redis "[^"]*": (?:setup |connect )?timed out/;
    my %loads_before = map { $_ => log_count($gw[$_], $LOADS) } @all_gw;
    my %timeouts_before = map { $_ => log_count($gw[$_], $TIMEOUTS) }
                          @all_gw;
    my $c0 = redis_sample();
    my ($first_start, @at) = start_all();
    my $loaded = wait_loaded($want, $load_timeout, @at);
    my $c1 = redis_sample();
    my $cd = redis_delta($c0, $c1);
    # each gateway's worker CPU since its start: the load, nearly all of it
    my @wcpu = map { my ($w) = $_->worker_pids;
                     $w ? BenchSetup::cpu_seconds($w) : () } @gw;
    my @secs = sort { $a <=> $b } values %$loaded;
    my $last_done = 0;
    for my $i (keys %$loaded) {
        my $d = $at[$i] + $loaded->{$i} - $first_start;
        $last_done = $d if $d > $last_done;
    }
    my (@loads, @touts);
    for my $i (@all_gw) {
        push @loads, log_count($gw[$i], $LOADS) - $loads_before{$i};
        push @touts, log_count($gw[$i], $TIMEOUTS) - $timeouts_before{$i};
    }
    printf "  all %d gateways started at once: %d loaded %d jtis; the last "
         . "%.1f s after the first started\n", $gateways, scalar @secs,
           $want, $last_done;
    printf "  a gateway from its start: p50 %.1f s  p99 %.1f s  max %.1f s\n",
           pct(50, @secs), pct(99, @secs), pct(100, @secs) if @secs;
    printf "  loads begun per gateway: max %d (total %d); Redis commands "
         . "timed out: %d\n", (sort { $b <=> $a } @loads)[0],
           eval { my $s = 0; $s += $_ for @loads; $s },
           eval { my $s = 0; $s += $_ for @touts; $s };
    my ($zjti, $zuse, $zsize) = (0, 0, 0);
    for my $line (reverse split /\n/, $gw[0]->error_log) {
        if ($line =~ /lists loaded: jti (\d+),.*zone (\d+) of (\d+)/) {
            ($zjti, $zuse, $zsize) = ($1, $2, $3);
            last;
        }
    }
    printf "  a gateway's zone: %d jtis, %.1f MiB of %.0f MiB in use\n",
           $zjti, $zuse / 1048576, $zsize / 1048576;
    printf "  gateway worker cpu since its start: p50 %.1f s  max %.1f s\n",
           pct(50, @wcpu), pct(100, @wcpu) if @wcpu;
    printf "  Redis cpu during the load: %s\n",
           join(', ', map { sprintf '%s %.1f s', $rname[$_],
                                    $cd->{d}[$_]{cpu} } 0 .. $#redis);
    printf "  not loaded after %d s: %s\n", $load_timeout,
           join(',', grep { !exists $loaded->{$_} } @all_gw) || 'none';
}

my @bad;
for my $t (@gw) {
    $t->stop;
    push @bad, $t->log_problems;
}
$_->stop_redis for @redis;
printf "gateway error logs: %s\n",
       @bad ? join("\n  ", 'PROBLEMS:', @bad[0 .. ($#bad < 9 ? $#bad : 9)])
            : 'no alert, no crashed worker';
printf "load average at the end: %s\n", loadavg();
