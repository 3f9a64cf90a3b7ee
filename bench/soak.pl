#!/usr/bin/perl
# bench/soak: mixed load for a while, with revocations flowing and Redis
# restarted now and then; prints, over time, the requests served, the
# refusals by kind, every worker's RSS and open file descriptors.  Both
# must stay flat.  Run by hand (not in CI):
#
#   perl bench/soak.pl [--minutes 10] [--every 30] [--restart-every 120]
#
# Load: two wrk clients, one on a location with revocation on (a pool of
# distinct ES256 tickets: every request a new ticket, so the cache churns),
# one on a location with the audit log (HS256, 5% bad signatures, 5% without
# the role).  Each interval revokes 50 jtis of the pool (ZADD + XADD as the
# SPEC says); every --restart-every seconds Redis is stopped and started
# again empty (the gateways keep what they hold).

use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/../t/lib", "$FindBin::Bin/lib";
use Getopt::Long;
use POSIX qw(WNOHANG);
use Time::HiRes qw(time sleep);
use TicketTest;
use BenchSetup;

my $minutes = 10;
my $every = 30;
my $restart_every = 120;
GetOptions('minutes=f' => \$minutes, 'every=i' => \$every,
           'restart-every=i' => \$restart_every)
    or die "usage: $0 [--minutes N] [--every S] [--restart-every S]\n";

my $secs = int($minutes * 60);
my $pools = BenchSetup::pools();

my $t = TicketTest->new;
my $rport = $t->start_redis;
$t->start(BenchSetup::http_conf($pools, redis => $rport), workers => 2,
          log_level => 'notice');

BenchSetup::wait_revocation_entries($t, 0, 30);

my @workers = sort { $a <=> $b } $t->worker_pids;
my $url = 'http://127.0.0.1:' . $t->port;
my $lua = "$FindBin::Bin/wrk/pool.lua";

my @wrk;
for my $w (['rev', $pools->{pools}{es256}], ['audit', $pools->{pools}{audit}])
{
    my ($loc, $pool) = @$w;
    my $out = $t->dir . "/wrk-$loc.txt";
    my $pid = fork // die;
    if ($pid == 0) {
        open STDOUT, '>', $out;
        open STDERR, '>&', \*STDOUT;
        exec 'wrk', '-t1', '-c8', "-d${secs}s", '--latency', '-s', $lua,
             "$url/$loc/", '--', $pool, 0, 1;
        exit 127;
    }
    push @wrk, [$pid, $loc, $out];
}

# the jtis of the ES256 pool, to revoke as the soak goes
my @jtis;
open my $fh, '<', $pools->{pools}{es256} or die "pool: $!\n";
while (my $line = <$fh>) {
    my ($p) = (split /\./, $line)[1] // next;
    my ($j) = TicketTest::b64url_decode($p) =~ /"jti":"([^"]+)"/;
    push @jtis, $j if defined $j;
    last if @jtis >= 100_000;
}
close $fh;

sub fds {
    my ($pid) = @_;
    opendir my $d, "/proc/$pid/fd" or return -1;
    my $n = grep { !/^\./ } readdir $d;
    closedir $d;
    return $n;
}

sub figures {
    my $m = BenchSetup::status_metrics($t);
    my (%by, $total);
    for my $k (keys %$m) {
        next unless $k =~ /^ticket_requests_total\{decision="(\w+)",reason="(\w+)"\}$/;
        $by{"$1/$2"} = $m->{$k};
        $total += $m->{$k};
    }
    return ($total // 0, \%by, $m);
}

printf "soak: %d min, sampling every %d s, Redis restarted every %d s, "
     . "workers %s\n", $minutes, $every, $restart_every, "@workers";
printf "%6s %10s %9s %8s %8s %8s %6s  %s\n", 'min', 'requests', 'req/s',
       'allowed', 'revoked', '503', 'audit', 'worker RSS kB / fds';

my $t0 = time;
my $next_restart = $t0 + $restart_every;
my $revoked = 0;
my ($last_total, $last_time) = (0, $t0);
my @rows;

while (time - $t0 < $secs) {
    my $until = time + $every;
    while (time < $until && time - $t0 < $secs) {
        if (time >= $next_restart) {
            $t->stop_redis;
            sleep 0.5;
            $t->start_redis;
            $next_restart += $restart_every;
        }

        # 50 revocations an interval, spread over it
        if ($revoked < @jtis && $revoked < 50 * (int((time - $t0) / $every) + 1)) {
            my $j = $jtis[$revoked++];
            my $exp = int(time + 86400);
            eval {
                $t->redis_cmd('MULTI');
                $t->redis_cmd('ZADD', 'ticket:revoked:jti', $exp, $j);
                $t->redis_cmd('XADD', 'ticket:events', 'MAXLEN', '~',
                              '100000', '*', 'op', 'revoke', 'list', 'jti',
                              'member', $j, 'value', $exp);
                $t->redis_cmd('EXEC');
            };
            delete $t->{redis_sock} if $@;
        }
        sleep 0.05;
    }

    my ($total, $by, $m) = figures();
    my $now = time;
    my $rate = ($total - $last_total) / ($now - $last_time);
    ($last_total, $last_time) = ($total, $now);
    my $allowed = $by->{'allow/ok'} // 0;
    my $rev = $by->{'deny/revoked'} // 0;
    my $unavail = $by->{'deny/revocation_unavailable'} // 0;
    my $audit = $m->{ticket_audit_records_total} // 0;
    my @w = map { my $r = BenchSetup::rss($_);
                  sprintf '%d/%d', $r->{VmRSS} // -1, fds($_) } @workers;
    push @rows, [($now - $t0) / 60, $total, $rate, $allowed, $rev, $unavail,
                 $audit, [map { BenchSetup::rss($_)->{VmRSS} // -1 } @workers],
                 [map { fds($_) } @workers]];
    printf "%6.1f %10d %9.0f %8d %8d %8d %6d  %s\n", ($now - $t0) / 60,
           $total, $rate, $allowed, $rev, $unavail, $audit, "@w";
}

for my $w (@wrk) {
    waitpid $w->[0], 0;
    my $out = $t->read_file($w->[2]);
    my ($rps) = $out =~ /Requests\/sec:\s+([\d.]+)/;
    my ($errs) = $out =~ /(Socket errors:[^\n]*)/;
    my ($non2xx) = $out =~ /Non-2xx or 3xx responses:\s+(\d+)/;
    printf "wrk /%s/: %s req/s, non-2xx %s%s\n", $w->[1], $rps // '?',
           $non2xx // 0, $errs ? ", $errs" : '';
}

# flat: the last third of the run against the second sample
if (@rows >= 4) {
    my ($first, $last) = ($rows[1], $rows[-1]);
    for my $i (0 .. $#workers) {
        printf "worker %d: RSS %d -> %d kB (%+d), fds %d -> %d\n",
               $workers[$i], $first->[7][$i], $last->[7][$i],
               $last->[7][$i] - $first->[7][$i], $first->[8][$i], $last->[8][$i];
    }
}

my @alerts = grep { /\[alert\]|\[emerg\]|exited on signal/ }
             split /\n/, $t->error_log;
printf "error log: %d alert/emerg/crash lines%s\n", scalar @alerts,
       @alerts ? ":\n" . join("\n", @alerts[0 .. ($#alerts > 4 ? 4 : $#alerts)])
               : '';

$t->stop;
$t->stop_redis;
