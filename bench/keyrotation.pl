#!/usr/bin/perl
# bench/keyrotation: a key rotation under load, keys from a key service.
#
#   perl bench/keyrotation.pl [--rounds N] [--clients N]
#
# A key service (nginx serving a JWKS over TLS, certificate from a CA
# made here with openssl) and a gateway with two workers reading it with
# ticket_keys_url (refresh=1h:1h: only an unknown kid makes it fetch
# early, as in production).  CLIENTS processes send tickets of the key
# that stays published (k0) as fast as they can, the whole time.  Each
# round publishes a new kid (the file rewritten and renamed into place);
# from that moment a new connection a time asks with a ticket of the new
# kid until it passes: the rotation time.  Rounds are 6 s apart (an
# unknown kid makes a source fetch at most every 5 s).
#
# Prints each round's rotation time, min/median/max, and the load's
# answers: every k0 ticket passes with a key file too, so any answer but
# 200 is a request that failed where a file-based setup would have passed
# (connections that broke or could not be made are counted apart: on a
# busy machine loopback runs out of ports, which is no key's doing).

use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/../t/lib";
use Getopt::Long;
use IO::Socket::INET;
use JSON::PP;
use Time::HiRes qw(time sleep);
use TicketTest;

my $rounds = 8;
my $clients = 4;
GetOptions('rounds=i' => \$rounds, 'clients=i' => \$clients)
    or die "usage: $0 [--rounds N] [--clients N]\n";

my $g = TicketTest->new;
my $ks = TicketTest->new;
my $kd = $ks->dir;

sub openssl {
    my ($rc, $o, $e) = $ks->run_cmd('openssl', @_);
    die "openssl: $e\n" if $rc != 0;
}

openssl('req', '-x509', '-newkey', 'ec', '-pkeyopt',
        'ec_paramgen_curve:P-256', '-nodes', '-days', '2', '-subj',
        '/CN=bench CA', '-keyout', "$kd/ca.key", '-out', "$kd/ca.pem");
openssl('req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256',
        '-nodes', '-subj', '/CN=localhost', '-keyout', "$kd/svc.key",
        '-out', "$kd/svc.csr");
$ks->write_file('svc.ext', "subjectAltName=DNS:localhost\n");
openssl('x509', '-req', '-in', "$kd/svc.csr", '-CA', "$kd/ca.pem", '-CAkey',
        "$kd/ca.key", '-CAcreateserial', '-days', '2', '-extfile',
        "$kd/svc.ext", '-out', "$kd/svc.pem");

my @kids = map { "k$_" } 0 .. $rounds;
my %key = map { $_ => $g->keygen('ES256', $_) } @kids;
my %tk = map { $_ => $g->mint(key => $key{$_}{key}, kid => $_,
                              sub => "u-$_", kind => 'user', ttl => 3600) }
         @kids;

sub publish {
    my $doc = encode_json({ keys => [ map {
        decode_json($g->read_file("keys/$_.jwks"))->{keys}[0] } @_ ] });
    $ks->write_file('www/jwks.tmp', $doc);
    rename "$kd/www/jwks.tmp", "$kd/www/jwks.json" or die "$!\n";
}

mkdir "$kd/www";
publish('k0');

my $ksp = $ks->port('ks');
$ks->start(<<'EOF', wait_ports => [ $ksp ]);
    log_format keys '$request $status';
    server {
        listen 127.0.0.1:%%PORT:ks%% ssl;
        ssl_certificate %%DIR%%/svc.pem;
        ssl_certificate_key %%DIR%%/svc.key;
        access_log %%DIR%%/logs/fetches.log keys;
        root %%DIR%%/www;
    }
EOF

mkdir $g->dir . '/static';
$g->write_file('static/index.html', "ok\n");
$g->start(<<"EOF", workers => 2);
    server {
        listen 127.0.0.1:%%PORT%% reuseport;
        location / {
            ticket user;
            ticket_keys_trusted_certificate $kd/ca.pem;
            ticket_keys_url https://localhost:$ksp/jwks.json refresh=1h:1h;
            # a static answer, no proxied connection: the bench measures
            # keys, and no ephemeral port runs out under load
            root %%DIR%%/static;
        }
    }
EOF

my $end = time + 20;
sleep 0.05 while time < $end && $g->get('/', ticket => $tk{k0})->{status}
                                != 200;

# the load: k0 tickets, counted by answer, until told to stop
my @load;
for my $c (1 .. $clients) {
    pipe(my $r, my $w) or die "pipe: $!\n";
    my $pid = fork // die "fork: $!\n";
    if ($pid == 0) {
        close $r;
        my %st;
        my $stop = 0;
        local $SIG{TERM} = sub { $stop = 1 };
        my $port = $g->port('main');
        my $req = "GET / HTTP/1.1\r\nHost: localhost\r\n"
                . "Authorization: Bearer $tk{k0}\r\n\r\n";
        my $s;
        local $| = 1;
        until ($stop) {
            # one kept-alive connection: no ephemeral port runs out
            $s //= IO::Socket::INET->new(PeerAddr => "127.0.0.1:$port",
                                         Proto => 'tcp');
            unless ($s) {
                $st{'connect_failed'}++;
                sleep 0.01;
                next;
            }
            my ($code, $again) = keepalive_get($s, $req);
            last if $stop && !$code;    # TERM cut the last request short
            $st{$code}++;
            undef $s unless $again;
        }
        print $w join(' ', map { "$_=$st{$_}" } sort keys %st), "\n";
        close $w;
        exit 0;
    }
    close $w;
    push @load, [ $pid, $r ];
}

# one request on a kept-alive connection: its status (0 when the
# connection broke) and whether the connection stays open
sub keepalive_get {
    my ($s, $req) = @_;
    print $s $req or return (0, 0);
    my $head = '';
    while ($head !~ /\r\n\r\n/) {
        sysread($s, my $buf, 1) or return (0, 0);
        $head .= $buf;
    }
    my ($code) = $head =~ m{^HTTP/1\.1 (\d{3})} or return (0, 0);
    my ($len) = $head =~ /^Content-Length: (\d+)/mi;
    my $body = '';
    while (length $body < ($len // 0)) {
        sysread($s, my $buf, $len - length $body) or return (0, 0);
        $body .= $buf;
    }
    return ($code, $head !~ /^Connection: close/mi);
}

my @ms;
for my $i (1 .. $rounds) {
    sleep 6;
    publish(@kids[0 .. $i]);
    my $t0 = time;
    my $done;
    while (time < $t0 + 30) {
        if ($g->get('/', ticket => $tk{"k$i"})->{status} == 200) {
            $done = time;
            last;
        }
    }
    my $ms = defined $done ? ($done - $t0) * 1000 : 'never';
    push @ms, $ms if defined $done;
    printf "round %d: k%d verifies %s ms after it was published\n", $i, $i,
           defined $done ? sprintf('%.1f', $ms) : 'never (30 s)';
}

my %total;
for my $l (@load) {
    kill 'TERM', $l->[0];
    my $fh = $l->[1];
    my $line = <$fh> // '';
    waitpid $l->[0], 0;
    for (split ' ', $line) {
        my ($k, $v) = split /=/;
        $total{$k} += $v;
    }
}

my @s = sort { $a <=> $b } @ms;
printf "rotation time over %d rounds: min %.1f ms, median %.1f ms, "
       . "max %.1f ms\n", scalar @s, $s[0] // -1, $s[$#s / 2] // -1,
       $s[-1] // -1 if @s;
my $all = 0;
$all += $_ for values %total;
$all -= $total{connect_failed} // 0;    # never reached the gateway
my $refused = 0;
$refused += $total{$_} for grep { /^[1-9]/ && $_ != 200 } keys %total;
printf "load (%d clients, k0 tickets): %d requests, %s\n", $clients, $all,
       join(', ', map { "$_: $total{$_}" } sort keys %total);
printf "answered other than 200 where a key file would have passed: %d "
       . "(0 = a connection broken before an answer, connect_failed = no "
       . "port free on loopback: the machine's, not the keys')\n", $refused;
my @f = grep { / \/jwks\.json / } split /\n/,
        $ks->read_file('logs/fetches.log');
printf "key service fetches by 2 workers: %d (%d rounds, one at start)\n",
       scalar @f, $rounds;
$g->stop;
$ks->stop;
my @bad = ($g->log_problems, $ks->log_problems);
print "log problems: @bad\n" if @bad;
exit(@s == $rounds && $refused == 0 && !@bad ? 0 : 1);
