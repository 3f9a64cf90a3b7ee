#!/usr/bin/perl
# The fetch lock of a key service (one worker at a time fetches) is
# released only by its holder.  A fetch slower than the lock's deadline
# (45 s) has its lock taken over by another worker; when the slow fetch
# ends at last, it must not release the lock the other worker now holds,
# or a third fetch would run beside the second.  The key service is a
# real HTTPS server on loopback, run by this test, that holds each
# connection open (a byte of its status line every few seconds keeps the
# gateway's read timer from firing) until the test lets it answer, and
# counts the connections open at once.  The test takes about a minute:
# the deadline is the product's.

use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use IO::Select;
use IO::Socket::SSL;
use JSON::PP;
use Time::HiRes qw(time sleep);
use TicketTest;

plan(tests => 7);

my $t = TicketTest->new;
my $kd = $t->dir;

sub openssl {
    my (@args) = @_;
    my ($rc, $o, $e) = $t->run_cmd('openssl', @args);
    die "openssl @args: $e\n" if $rc != 0;
}

openssl('req', '-x509', '-newkey', 'ec', '-pkeyopt',
        'ec_paramgen_curve:P-256', '-nodes', '-days', '2',
        '-subj', '/CN=lock test CA', '-keyout', "$kd/ca.key",
        '-out', "$kd/ca.pem");
openssl('req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256',
        '-nodes', '-subj', '/CN=localhost', '-keyout', "$kd/service.key",
        '-out', "$kd/service.csr");
$t->write_file('service.ext', "subjectAltName=DNS:localhost,IP:127.0.0.1\n");
openssl('x509', '-req', '-in', "$kd/service.csr", '-CA', "$kd/ca.pem",
        '-CAkey', "$kd/ca.key", '-CAcreateserial', '-days', '2',
        '-extfile', "$kd/service.ext", '-out', "$kd/service.pem");

my $k1 = $t->keygen('ES256', 'k1');
my $doc = encode_json({ keys => [
    decode_json($t->read_file('keys/k1.jwks'))->{keys}[0] ] });

my $ksp = $t->port('ks');
my $srv = IO::Socket::SSL->new(LocalAddr => '127.0.0.1', LocalPort => $ksp,
                               Listen => 16, ReuseAddr => 1,
                               SSL_server => 1,
                               SSL_cert_file => "$kd/service.pem",
                               SSL_key_file => "$kd/service.key")
    or die "listen: $SSL_ERROR\n";

my $src = "https://localhost:$ksp/jwks.json";

$t->start(<<"EOF", workers => 2);
    ticket_keys_trusted_certificate $kd/ca.pem;
    server {
        listen 127.0.0.1:%%PORT%%;
        location /k { ticket user;
            ticket_keys_url $src refresh=1s:1s;
            proxy_pass http://127.0.0.1:%%PORT:backend%%; }
    }
    server {
        listen 127.0.0.1:%%PORT:backend%%;
        location / { return 200 "ok\\n"; }
    }
EOF

# ---- the held key service ---------------------------------------------------

my @held;          # { sock, sent, opened }
my $accepted = 0;
my $most = 0;      # connections open at once, at most
my $status = "HTTP/1.1 200 OK";

sub serve {
    my ($until) = @_;
    my $sel = IO::Select->new($srv);
    while (time < $until) {
        if ($sel->can_read(0.2)) {
            my $c = $srv->accept;
            if ($c) {
                my $req = '';
                while ($req !~ /\r\n\r\n/) {
                    my $n = sysread $c, my $buf, 4096;
                    last unless $n;
                    $req .= $buf;
                }
                push @held, { sock => $c, sent => 0, at => time };
                $accepted++;
                $most = @held if @held > $most;
            }
        }
        for my $h (@held) {
            if (time - $h->{at} >= 4 && $h->{sent} < length $status) {
                syswrite $h->{sock}, substr($status, $h->{sent}++, 1);
                $h->{at} = time;
            }
        }
    }
}

# the oldest held connection answered: a good document, or a 503
sub answer {
    my ($good) = @_;
    my $h = shift @held or return;
    my $rest = substr($status, $h->{sent});
    $rest = ' ' if $rest eq '';
    my $body = $good ? $doc : 'no';
    my $resp = $good
        ? "$rest\r\nContent-Type: application/json\r\n"
          . 'Content-Length: ' . length($body) . "\r\n\r\n$body"
        : "$rest\r\nContent-Length: 2\r\n\r\nno";
    $resp = "HTTP/1.1 503 Busy\r\nContent-Length: 2\r\n\r\nno"
        if !$good && $h->{sent} == 0;
    syswrite $h->{sock}, $resp;
    $h->{sock}->close(SSL_fast_shutdown => 1);
}

# one worker takes the lock and connects; the other waits for the lock
serve(time + 5);
is($accepted, 1, 'one worker fetches, the other waits for the lock');

# past the deadline (45 s) the other worker takes the lock over
my $end = time + 70;
serve(time + 1) while $accepted < 2 && time < $end;
is($accepted, 2, 'past the deadline the lock is taken over: a 2nd fetch');
like($t->error_log, qr/\[notice\][^\n]*key service "\Q$src\E": a fetch held the lock past its deadline: taken over/,
     'a notice: taken over');

# the slow first fetch ends now (its status line is not 200); had it
# released the lock, a third fetch would start within seconds (refresh 1s)
answer(0);
serve(time + 8);
is($accepted, 2, 'the slow holder ending did not release the other\'s lock');
like($t->error_log, qr/\[notice\][^\n]*key service "\Q$src\E": the fetch lock was taken over by another worker: left to it/,
     'a notice: the lock left to its holder');

# the second fetch answers: keys; fetches go on one at a time
answer(1);
my $tk1 = $t->mint(key => $k1->{key}, kid => "k1", sub => "u1",
                   kind => "user");
my $ok = 0;
$end = time + 20;
while (time < $end && !$ok) {
    serve(time + 0.5);
    answer(1) while @held;
    $ok = $t->get("/k", ticket => $tk1)->{status} == 200;
}
ok($ok, 'the second fetch\'s keys verify');
diag("connections open at once, at most: $most");

close $srv;
$t->done;
