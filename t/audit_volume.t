#!/usr/bin/perl
# Volume: 10,000 mixed requests (valid, missing, bad signature, 403) from
# parallel clients, keep-alive and not, against 2 workers.  Every denied
# and over_privilege response has exactly one record (nothing lost, nothing
# doubled), ticket_audit_records_total says the same before nginx stops.

use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use TicketTest;
use JSON::PP;
use IO::Socket::INET;
use IO::Select;
use Time::HiRes qw(time sleep);
use POSIX ();

my $TOTAL = $ENV{TICKET_VOLUME} // 10_000;
my $CLIENTS = 8;

my $t = TicketTest->new;
my $k = $t->keygen('ES256', 'k1');
mkdir $t->dir . "/html";
mkdir $t->dir . "/html/$_" for qw(v adm);
$t->write_file("html/$_/x", "ok\n") for qw(v adm);

$t->start(<<'EOF', workers => 2);
    ticket_keys %%DIR%%/keys/k1.jwks;
    ticket_audit_log %%DIR%%/logs/audit.jsonl;
    access_log off;

    server {
        listen 127.0.0.1:%%PORT%%;
        root %%DIR%%/html;
        keepalive_requests 100000;

        location /v/ {
            ticket user;
        }
        location /adm/ {
            ticket user;
            ticket_require_role admin;
        }
        location = /s {
            ticket_status;
        }
    }
EOF

my $good = $t->mint(key => $k->{key}, kid => 'k1', sub => 'alice',
                    kind => 'user', roles => 'reader');
my $bad = $good;
my $at = length($bad) - 20;
substr($bad, $at, 1) = substr($bad, $at, 1) eq 'A' ? 'B' : 'A';

sub metrics {
    my $r = $t->get('/s');
    my %m;
    for (split /\n/, $r->{body}) {
        next if /^#/;
        $m{$1} = $2 if /^(\S+) (\S+)$/;
    }
    return \%m;
}

my $m0 = metrics();
is($m0->{ticket_audit_records_total}, 0, 'records_total starts at 0');

# one request on a kept-alive socket: status, or 0 on failure
sub ka_request {
    my ($s, $req) = @_;
    print $s $req or return 0;
    my $buf = '';
    my $sel = IO::Select->new($s);
    my $end = time + 10;
    while ($buf !~ /\r\n\r\n/) {
        return 0 unless $sel->can_read($end - time);
        my $n = sysread $s, $buf, 65536, length $buf;
        return 0 unless $n;
    }
    my ($head, $body) = split /\r\n\r\n/, $buf, 2;
    my ($status) = $head =~ m{^HTTP/1\.1 (\d{3})} or return 0;
    my ($len) = $head =~ /\r\nContent-Length: (\d+)/i;
    $len //= 0;
    while (length $body < $len) {
        return 0 unless $sel->can_read($end - time);
        my $n = sysread $s, $body, 65536, length $body;
        return 0 unless $n;
    }
    return $status;
}

my @kinds = (
    [v   => $good],           # 200
    [v   => undef],           # 401 missing
    [v   => $bad],            # 401 bad_signature
    [adm => $good],           # 403 insufficient_role
);

# each client mixes the four kinds
sub kind_of { my ($i) = @_; return (int($i / $CLIENTS) + $i) % 4 }
my @want = (0) x 4;
$want[kind_of($_)]++ for 0 .. $TOTAL - 1;

my $t0 = time;
my @kids;
for my $c (0 .. $CLIENTS - 1) {
    my $pid = fork // die "fork: $!";
    if ($pid == 0) {
        my %count;
        my $keepalive = $c % 2 == 0;
        my $sock;
        for (my $i = $c; $i < $TOTAL; $i += $CLIENTS) {
            my ($loc, $tk) = @{$kinds[kind_of($i)]};
            my $req = "GET /$loc/x?n=$i HTTP/1.1\r\nHost: localhost\r\n"
                    . ($keepalive ? '' : "Connection: close\r\n")
                    . (defined $tk ? "Authorization: Bearer $tk\r\n" : '')
                    . "\r\n";
            my $status;
            if ($keepalive) {
                for my $try (1 .. 2) {
                    $sock //= IO::Socket::INET->new(
                        PeerAddr => '127.0.0.1:' . $t->port,
                        Proto => 'tcp', Timeout => 5);
                    $status = $sock ? ka_request($sock, $req) : 0;
                    last if $status;
                    undef $sock;        # closed by the server: reconnect
                }
            } else {
                $status = TicketTest::parse_response($t->http($req))
                          ->{status};
            }
            $count{$status || 'fail'}++;
        }
        open my $fh, '>', $t->dir . "/client.$c" or die;
        print $fh join("\n", map { "$_ $count{$_}" } sort keys %count), "\n";
        close $fh;
        POSIX::_exit(0);
    }
    push @kids, $pid;
}
waitpid $_, 0 for @kids;
my $took = time - $t0;
diag(sprintf '%d requests in %.1f s', $TOTAL, $took);

my %count;
for my $c (0 .. $CLIENTS - 1) {
    for (split /\n/, $t->read_file("client.$c")) {
        my ($s, $n) = split / /;
        $count{$s} += $n;
    }
}
my $sum = 0;
$sum += $_ for values %count;
is($sum, $TOTAL, "every client reported: $TOTAL responses");
ok(!$count{fail} && !$count{0}, 'no failed request')
    or diag(explain \%count);
is($count{200} // 0, $want[0], "allowed: $want[0]");
is($count{401} // 0, $want[1] + $want[2], 'missing + bad signature: '
   . ($want[1] + $want[2]));
is($count{403} // 0, $want[3], "over_privilege: $want[3]");
my $expected = ($count{401} // 0) + ($count{403} // 0);

# the counter, polled before stopping (records are flushed within a second)
my $m;
my $end = time + 10;
while (time < $end) {
    $m = metrics();
    last if ($m->{ticket_audit_records_total} // 0) >= $expected;
    sleep 0.05;
}
is($m->{ticket_audit_records_total}, $expected,
   "ticket_audit_records_total is $expected before stopping");
is($m->{ticket_audit_dropped_total}, 0, 'nothing dropped');
is($m->{'ticket_requests_total{decision="deny",reason="missing"}'},
   $want[1], 'requests_total deny/missing');
is($m->{'ticket_requests_total{decision="deny",reason="bad_signature"}'},
   $want[2], 'requests_total deny/bad_signature');
is($m->{'ticket_requests_total{decision="deny",reason="insufficient_role"}'},
   $want[3], 'requests_total deny/insufficient_role');
is($m->{'ticket_requests_total{decision="allow",reason="ok"}'},
   $want[0], 'requests_total allow/ok');

$t->stop;

my $json = JSON::PP->new->utf8;
my (%by_reason, %rid, $invalid);
my $content = $t->read_file('logs/audit.jsonl');
ok($content eq '' || substr($content, -1) eq "\n", 'file ends with a newline');
my @lines = split /\n/, $content;
for my $l (@lines) {
    my $r = eval { $json->decode($l) };
    if (!$r) { $invalid++; next }
    $by_reason{"$r->{event}/$r->{reason}/$r->{status}"}++;
    $rid{$r->{request_id}}++;
}
is(scalar @lines, $expected, "records in the file: exactly $expected");
ok(!$invalid, 'every line is one JSON record')
    or diag("$invalid invalid lines");
is(scalar keys %rid, scalar @lines, 'one record per request (request_id)');
is_deeply(\%by_reason,
          { 'denied/missing/401' => $want[1],
            'denied/bad_signature/401' => $want[2],
            'over_privilege/insufficient_role/403' => $want[3] },
          'records by event, reason and status');

my %pids = map { $_ => 1 } $t->error_log =~ /\d+#(\d+): \*\d+ ticket denied/g;
diag('workers that denied requests: ' . scalar keys %pids);

$t->done;
done_testing();
