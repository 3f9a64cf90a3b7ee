#!/usr/bin/perl
# bench/cachecap: how many tickets the verified-ticket cache holds, per
# algorithm, at the default ticket_shm_size (32 MiB: a cache zone of
# 8 MiB).
#
#   perl bench/cachecap.pl [--tickets N] [--shm SIZE]
#
# For each algorithm a fresh nginx (configuration of bench/speed, one
# worker) is sent N distinct tickets of its pool (bench/speed's, 50,000
# a pool) one after another on keepalive connections; the cache fills,
# then least recently used entries make room.  The capacity is the most
# ticket_cache_entries{state="verified"} (ticket_status) seen, read every
# 500 tickets and at the end.

use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use lib "$FindBin::Bin/../t/lib";
use Getopt::Long;
use IO::Socket::INET;
use Time::HiRes qw(time);
use BenchSetup;
use TicketTest;

my %o = (tickets => 12_000, shm => '');
GetOptions(\%o, 'tickets=i', 'shm=s')
    or die "usage: $0 [--tickets N] [--shm SIZE]\n";

my $pools = BenchSetup::pools();
my $t_start = time;

# one response on a keepalive connection: (status, closed)
sub exchange {
    my ($s, $req) = @_;
    print $s $req;
    my $head = '';
    while ($head !~ /\r\n\r\n/) {
        my $n = sysread $s, $head, 4096, length $head;
        die "connection closed\n" unless $n;
    }
    my ($h, $body) = split /\r\n\r\n/, $head, 2;
    my ($st) = $h =~ m{^HTTP/1\.1 (\d+)};
    my ($len) = $h =~ /\r\nContent-Length: (\d+)/i;
    die "no Content-Length\n" unless defined $len;
    while (length $body < $len) {
        my $n = sysread $s, $body, $len - length $body, length $body;
        die "connection closed\n" unless $n;
    }
    return ($st, $h =~ /\r\nConnection: close/i);
}

sub entries {
    my ($t) = @_;
    return BenchSetup::status_metrics($t)
               ->{'ticket_cache_entries{state="verified"}'} // -1;
}

my $shm = $o{shm} ? "    ticket_shm_size $o{shm};\n" : '';
my $zone = $o{shm} || '32m (default)';

printf "verified-ticket cache capacity, ticket_shm_size %s (a quarter "
     . "of it is the cache), %d distinct tickets sent per alg:\n",
       $zone, $o{tickets};
printf "%-6s %8s %10s %10s %12s\n", 'alg', 'ticket', 'capacity',
       'non-200', 'zone/ticket';

for my $alg (qw(hs256 rs256 es256 eddsa)) {
    my $t = TicketTest->new;
    $t->start($shm . BenchSetup::http_conf($pools), workers => 1,
              log_level => 'notice');
    open my $fh, '<', $pools->{pools}{$alg} or die "$alg pool: $!\n";
    my ($s, $max, $bad, $len) = (undef, 0, 0, 0);
    for my $i (1 .. $o{tickets}) {
        my $tk = <$fh>;
        last unless defined $tk;
        chomp $tk;
        $len = length $tk;
        $s //= IO::Socket::INET->new(PeerAddr => '127.0.0.1:' . $t->port,
                                     Proto => 'tcp') or die "connect: $!\n";
        my ($st, $close) = exchange($s, "GET /$alg/x HTTP/1.1\r\n"
            . "Host: bench\r\nAuthorization: Bearer $tk\r\n\r\n");
        $bad++ if $st != 200;
        if ($close) {
            close $s;
            undef $s;
        }
        if ($i % 500 == 0) {
            my $n = entries($t);
            $max = $n if $n > $max;
        }
    }
    close $s if $s;
    close $fh;
    my $n = entries($t);
    $max = $n if $n > $max;
    $t->stop;
    printf "%-6s %6d B %10d %10d %10.0f B\n", uc $alg, $len, $max, $bad,
           $max ? 8 * 1024 * 1024 / $max : 0;
}
print "  capacity: the most verified entries held at once; zone/ticket: "
    . "8 MiB over it (the default zone)\n" unless $o{shm};
printf "bench/cachecap: %.0f s\n", time - $t_start;
