#!/usr/bin/perl
# bench/speed: what a ticket check costs over plain nginx, with wrk.
#
#   perl bench/speed.pl [--duration S] [--rounds N] [--connections C]
#                       [--rss-minutes M] [--cases REGEX] [--fresh]
#                       [--nginx-cpu N] [--wrk-cpu N]
#
# One nginx, one worker pinned to --nginx-cpu (worker_cpu_affinity), wrk
# (one thread, C keepalive connections) pinned to --wrk-cpu, on loopback.
# The backend is a second server block in the same worker (`return 200`):
# with two cores there is none left for it, so every case, plain proxy
# included, pays for the backend too (proxy_pass with upstream keepalive).
# Access log off; error log at notice (denials are logged at info).
#
# The cases (bench/lib/BenchSetup.pm) run interleaved, A B C ... A B C,
# --rounds times, and each figure is the median of its rounds:
#
#   plain        proxy_pass without `ticket`
#   ALG-rep      the same ticket every request (a cache hit)
#   ALG-new      a new ticket every request: wrk (bench/wrk/pool.lua)
#                cycles through a pool of 50,000 distinct tickets, much
#                more than the verified-ticket cache holds, so every
#                request misses it (the hit ratio is printed to show it)
#                for HS256, RS256 (2048-bit key), ES256, EdDSA, ES384
#   revoked-*    ES256 with revocation on and 100,000 revoked jtis loaded
#                from a real redis-server (pipelined ZADDs, waited for in
#                ticket_status)
#   audit-new    HS256 new tickets, audit log on, 10% denied (5% bad
#                signature, 5% without the required role)
#   es384-bad    50,000 distinct ES384 tickets with bad signatures (the
#                forgeries' r and s in range, so each costs a full verify)
#
# Each round also runs `openssl speed` on the worker's core for the
# verify rates.  Per case: requests/s and p99 latency (wrk), the ratio to
# plain proxy, and the worker's CPU time per request (utime + stime from
# /proc/PID/stat over the run, divided by the requests wrk completed;
# the worker is saturated, its busy share is printed) minus plain
# proxy's.  Then the goals, met or missed, and the worker's RSS over a
# soak of --rss-minutes (new tickets of every kind, in turn).

use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use lib "$FindBin::Bin/../t/lib";
use Getopt::Long;
use POSIX qw(strftime);
use Time::HiRes qw(time sleep);
use BenchSetup;
use TicketTest;

my %o = (duration => 3, rounds => 3, connections => 16,
         'rss-minutes' => 0.5, 'nginx-cpu' => 0, 'wrk-cpu' => 1,
         'openssl-seconds' => 1, cases => '.');
GetOptions(\%o, 'duration=i', 'rounds=i', 'connections=i', 'rss-minutes=f',
           'nginx-cpu=i', 'wrk-cpu=i', 'openssl-seconds=i', 'cases=s',
           'fresh')
    or die "usage: $0 [--duration S] [--rounds N] [--connections C] "
         . "[--rss-minutes M] [--cases REGEX] [--fresh] [--nginx-cpu N] "
         . "[--wrk-cpu N]\n";

for my $tool (qw(wrk taskset openssl redis-server)) {
    system("command -v $tool >/dev/null") == 0
        or die "bench/speed: $tool is missing (apt-get install wrk "
             . "util-linux openssl redis-server)\n";
}

my $t_start = time;
my $pools = BenchSetup::pools(fresh => $o{fresh});
my @cases = grep { $_->{name} =~ /$o{cases}/ } @BenchSetup::CASES;
my %want = map { $_->{name} => 1 } @cases;
$want{$_->{plain}} = 1 for grep { $_->{plain} } @cases;    # their bases
$want{plain} = 1;
@cases = grep { $want{$_->{name}} } @BenchSetup::CASES;
my %case = map { $_->{name} => $_ } @cases;

my $t = TicketTest->new;
my $rport = $t->start_redis;
my $exp = int(time) + $BenchSetup::TTL;
BenchSetup::fill_redis($rport, 100_000, $exp);
system("taskset -p -c $o{'wrk-cpu'} " . $t->redis_pid . " >/dev/null");

my $mask = '0' x 8;
substr($mask, 7 - $o{'nginx-cpu'}, 1) = '1';
$mask =~ s/^0+(?=.)//;
$t->start(BenchSetup::http_conf($pools, redis => $rport),
          workers => 1, log_level => 'notice',
          main => "worker_cpu_affinity $mask;\nworker_rlimit_nofile 8192;\n");
system("taskset -p -c $o{'wrk-cpu'} $t->{pid} >/dev/null");   # the master
my ($worker) = $t->worker_pids;
die "bench/speed: no nginx worker\n" unless $worker;
my $entries = BenchSetup::wait_revocation_entries($t, 100_000);

# every case answers as it should before anything is measured
for my $c (@cases) {
    my $file = $pools->{pools}{$c->{pool}};
    open my $fh, '<', $file or die "$file: $!\n";
    my $ticket = <$fh>;
    chomp $ticket;
    close $fh;
    my $r = $t->get("/$c->{loc}/x", ticket => $ticket);
    # the audit pool starts with its bad signatures (ticket i % 100 < 5)
    my $want = $c->{name} =~ /^(es384-bad|audit-new)$/ ? 401 : 200;
    die "bench/speed: $c->{name}: status $r->{status}, not $want\n"
        if $r->{status} != $want;
}

printf "bench/speed: nginx worker %d on cpu %d, wrk on cpu %d, %d "
     . "connections, %d s x %d rounds, %d revoked jtis loaded\n",
       $worker, $o{'nginx-cpu'}, $o{'wrk-cpu'}, $o{connections},
       $o{duration}, $o{rounds}, $entries;

my $url = 'http://127.0.0.1:' . $t->port;
my $lua = "$FindBin::Bin/wrk/pool.lua";
my %offset;                                  # pool => next line

sub wrk {
    my ($c, $duration) = @_;
    my $file = $pools->{pools}{$c->{pool}};
    my $off = $offset{$c->{pool}} // 0;
    my $cmd = "taskset -c $o{'wrk-cpu'} wrk -t1 -c$o{connections} "
            . "-d${duration}s --latency -s $lua $url/$c->{loc}/x -- "
            . "$file $off 1 2>&1";
    my $m0 = BenchSetup::status_metrics($t);
    my $cpu0 = BenchSetup::cpu_seconds($worker);
    my $w0 = time;
    my $out = `$cmd`;
    my $w1 = time;
    my $cpu1 = BenchSetup::cpu_seconds($worker);
    my $m1 = BenchSetup::status_metrics($t);
    my ($reqs) = $out =~ /(\d+) requests in/;
    my ($rps) = $out =~ /Requests\/sec:\s+([\d.]+)/;
    my ($p99, $unit) = $out =~ /^\s+99%\s+([\d.]+)(us|ms|s)\b/m;
    die "bench/speed: wrk failed: $cmd\n$out" unless $reqs && $rps
                                                  && defined $p99;
    $p99 *= { us => 0.001, ms => 1, s => 1000 }->{$unit};
    my ($non2xx) = $out =~ /Non-2xx or 3xx responses:\s+(\d+)/;
    my ($errs) = $out =~ /Socket errors:(.*)/;
    warn "bench/speed: $c->{name}: socket errors:$errs\n" if $errs;
    # the pool goes on where this run stopped (+ what was in flight)
    $offset{$c->{pool}} = $off + $reqs + $o{connections};
    my $d = sub { ($m1->{$_[0]} // 0) - ($m0->{$_[0]} // 0) };
    my $hits = $d->('ticket_cache_hits_total');
    my $miss = $d->('ticket_cache_misses_total');
    return {
        rps    => $rps,
        p99    => $p99,
        reqs   => $reqs,
        us     => ($cpu1 - $cpu0) / $reqs * 1e6,
        busy   => ($cpu1 - $cpu0) / ($w1 - $w0),
        non2xx => ($non2xx // 0) / $reqs,
        hit    => $hits + $miss ? $hits / ($hits + $miss) : undef,
    };
}

# the signing input of an HS256 pool ticket, for openssl speed's -bytes
my $hs_bytes = do {
    open my $fh, '<', $pools->{pools}{'rep-hs256'} or die;
    my $tk = <$fh>;
    chomp $tk;
    length($tk) - length((split /\./, $tk)[2]) - 1;
};

wrk($case{plain}, 1);                        # warm up
my (%runs, %speed);
for my $round (1 .. $o{rounds}) {
    my $v = BenchSetup::openssl_verify_rates($o{'nginx-cpu'},
                                             $o{'openssl-seconds'},
                                             $hs_bytes);
    push @{$speed{$_}}, $v->{$_} for keys %$v;
    for my $c (@cases) {
        my $r = wrk($c, $o{duration});
        push @{$runs{$c->{name}}}, $r;
    }
    printf "  round %d of %d done (%.0f s)\n", $round, $o{rounds},
           time - $t_start;
}

# medians
my %m;
for my $c (@cases) {
    for my $k (qw(rps p99 us busy non2xx hit)) {
        $m{$c->{name}}{$k} =
            BenchSetup::median(map { $_->{$k} } @{$runs{$c->{name}}});
    }
}
my %verify = map { $_ => BenchSetup::median(@{$speed{$_}}) } keys %speed;

sub plain_of { $m{$_[0]{plain} // $_[0]{name}} }
print "\n";
printf "%-12s %9s %8s %7s %9s %9s %6s %7s %5s\n", 'case', 'req/s',
       'p99 ms', 'x plain', 'us/req', '+us', 'hit %', 'non-2xx', 'busy';
for my $c (@cases) {
    my $x = $m{$c->{name}};
    my $plain = plain_of($c);
    printf "%-12s %9.0f %8.2f %7.2f %9.2f %9s %6s %6.1f%% %4.0f%%\n",
           $c->{name}, $x->{rps}, $x->{p99}, $x->{rps} / $plain->{rps},
           $x->{us},
           $c->{name} =~ /^plain/ ? '-'
               : sprintf('%+.2f', $x->{us} - $plain->{us}),
           defined $x->{hit} ? sprintf('%.1f', 100 * $x->{hit}) : '-',
           100 * $x->{non2xx}, 100 * $x->{busy};
}
print "  us/req: the nginx worker's CPU time (utime+stime) per request; "
    . "+us: minus plain proxy's\n  (with a ticket of the same length); "
    . "x plain: req/s over plain proxy's; busy: the worker's CPU share\n";
print "  plain proxy includes the backend (same worker, return 200), as "
    . "every case does\n";
for my $c (@cases) {
    printf "  %-12s %s\n", $c->{name}, $c->{what} if $c->{what};
}

print "\nopenssl speed on cpu $o{'nginx-cpu'}, same run (median of "
    . "$o{rounds}; HS256: HMAC-SHA256 of $hs_bytes bytes):\n";
printf "%-6s %12s %10s %11s %10s %9s %11s %8s\n", 'alg', 'verify/s',
       'verify us', 'new req/s', 'x verify/s', 'new +us', '+us/verify',
       'goal';
my @goals;
for my $alg (qw(HS256 RS256 ES256 EdDSA ES384)) {
    my ($c) = grep { ($_->{alg} // '') eq $alg && $_->{mode} eq 'new' }
              @cases;
    next unless $c && $verify{$alg};
    my $x = $m{$c->{name}};
    my $vus = 1e6 / $verify{$alg};
    my $extra = $x->{us} - plain_of($c)->{us};
    my $limit = 1.1 * $vus + 3;
    my $met = $extra <= $limit;
    printf "%-6s %12.0f %10.2f %11.0f %10.2f %+9.2f %11.2f %8s\n", $alg,
           $verify{$alg}, $vus, $x->{rps}, $x->{rps} / $verify{$alg},
           $extra, $extra / $vus, $met ? 'met' : 'MISSED';
    push @goals, [$met, sprintf('%s new ticket adds %.2f us <= 1.1 x '
        . '%.2f us (openssl verify) + 3 = %.2f us', $alg, $extra, $vus,
        $limit)];
}
for my $alg (qw(HS256 RS256 ES256 EdDSA)) {
    my ($c) = grep { ($_->{alg} // '') eq $alg && $_->{mode} eq 'rep' }
              @cases;
    next unless $c;
    my $extra = $m{$c->{name}}{us} - plain_of($c)->{us};
    push @goals, [$extra <= 1.5, sprintf('%s repeated ticket adds %.2f us '
        . '<= 1.5 us over plain proxy', $alg, $extra)];
}
if ($m{'es384-bad'} && $m{'es384-new'}) {
    my ($b, $v) = ($m{'es384-bad'}, $m{'es384-new'});
    push @goals, [$b->{us} <= $v->{us}, sprintf('ES384 forged tickets '
        . 'cost %.1f us <= a valid one %.1f us (%.0f vs %.0f req/s)',
        $b->{us}, $v->{us}, $b->{rps}, $v->{rps})];
}
for my $p (['revoked-rep', 'es256-rep', '100,000 revoked jtis, repeated '
            . 'ticket'],
           ['revoked-new', 'es256-new', '100,000 revoked jtis, new ticket'],
           ['audit-new', 'hs256-new', 'audit log, 10% denied']) {
    next unless $m{$p->[0]} && $m{$p->[1]};
    printf "%s: %+.2f us a request over %s\n", $p->[2],
           $m{$p->[0]}{us} - $m{$p->[1]}{us}, $p->[1];
}

# ---- RSS soak ----------------------------------------------------------

if ($o{'rss-minutes'} > 0) {
    my @soak = grep { $_->{name} =~ /-new$|-bad$/ } @cases;
    my $total = $o{'rss-minutes'} * 60;
    my $seg = int($total / (2 * @soak));    # wrk takes whole seconds
    $seg = 10 if $seg > 10;
    $seg = 1 if $seg < 1;
    my @samples;
    my $end = time + $total;
    my ($n, $reqs) = (0, 0);
    push @samples, [0, BenchSetup::rss($worker)];
    my $t0 = time;
    while (time < $end) {
        my $c = $soak[$n++ % @soak];
        $reqs += wrk($c, $seg)->{reqs};
        truncate "$t->{dir}/logs/audit.jsonl", 0;
        push @samples, [time - $t0, BenchSetup::rss($worker)];
    }
    my $warm = $samples[@soak < $#samples ? scalar @soak : 1];
    my $last = $samples[-1];
    printf "\nworker RSS over %.1f minutes of new tickets (%s in turn, "
         . "%d requests):\n", (time - $t0) / 60,
           join(' ', map { $_->{name} } @soak), $reqs;
    my $step = int(@samples / 8) || 1;
    for (my $i = 0; $i < @samples; $i += $step) {
        my ($s, $r) = @{$samples[$i]};
        printf "  %6.0f s  VmRSS %7d kB  RssAnon %6d kB  RssShmem %6d kB\n",
               $s, $r->{VmRSS}, $r->{RssAnon}, $r->{RssShmem};
    }
    printf "  %6.0f s  VmRSS %7d kB  RssAnon %6d kB  RssShmem %6d kB\n",
           $last->[0], @{$last->[1]}{qw(VmRSS RssAnon RssShmem)}
        if ($#samples % $step);
    my $grow = $last->[1]{VmRSS} - $warm->[1]{VmRSS};
    push @goals, [$grow <= 1024, sprintf('worker RSS flat: %+d kB from '
        . '%.0f s (every kind seen once) to %.0f s (<= 1024 kB)', $grow,
        $warm->[0], $last->[0])];
}

my ($now_worker) = $t->worker_pids;
push @goals, [0, "the worker changed ($worker, now "
                 . ($now_worker // 'none') . ")"]
    if ($now_worker // 0) != $worker;

my $busy = BenchSetup::median(map { $m{$_->{name}}{busy} } @cases);
printf "\nWARNING: the worker was busy only %.0f%% of the time (median): "
     . "it was not\nsaturated, something else runs on cpu %d or wrk's cpu; "
     . "the us figures are noise\nhere (callgrind's instruction counts "
     . "are not)\n", 100 * $busy, $o{'nginx-cpu'} if $busy < 0.9;

print "\ngoals:\n";
printf "  %-6s %s\n", $_->[0] ? 'met' : 'MISSED', $_->[1] for @goals;

$t->stop;
$t->stop_redis;
my @bad = $t->log_problems;
print "bench/speed: error log problems:\n", join("\n", @bad), "\n" if @bad;
printf "bench/speed: %.0f s\n", time - $t_start;
