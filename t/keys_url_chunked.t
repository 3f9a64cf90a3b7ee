#!/usr/bin/perl
# A key service whose response carries no Content-Length: a chunked body
# and a body that ends only when the server closes.  The gateway reads at
# most TICKET_KEYS_MAX_DOC (1 MB) and 16 KB of header; a 3 MB body either
# way is refused whole (too_large, an error line), and the keys fetched
# before stay.  The key service is a real HTTPS server on loopback (Perl,
# IO::Socket::SSL, a certificate from a CA this test makes) that answers
# as a file the test rewrites tells it.  No timing assertions.

use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use IO::Socket::SSL;
use JSON::PP;
use POSIX qw(_exit);
use Time::HiRes qw(time sleep);
use TicketTest;

plan(tests => 10);

my $t = TicketTest->new;
my $kd = $t->dir;

my $ca = $t->tls_ca('chunked');
$t->tls_cert('chunked', 'service', "subjectAltName=DNS:localhost,IP:127.0.0.1\n");

my %key = map { $_ => $t->keygen('ES256', $_) } qw(k1 k2);

sub jwk { decode_json($t->read_file("keys/$_[0].jwks"))->{keys}[0] }

# what the service answers: "jwks KID...", "chunked" or "close"
sub mode {
    $t->write_file('mode.tmp', $_[0]);
    rename "$kd/mode.tmp", "$kd/mode" or die "$!\n";
}

mode('jwks k1');

my $ksp = $t->port('ks');
my $srv = IO::Socket::SSL->new(LocalAddr => '127.0.0.1', LocalPort => $ksp,
                               Listen => 16, ReuseAddr => 1,
                               SSL_server => 1,
                               SSL_cert_file => "$kd/service.pem",
                               SSL_key_file => "$kd/service.key")
    or die "listen: $SSL_ERROR\n";

my $child = fork // die "fork: $!\n";
if ($child == 0) {
    $SIG{PIPE} = 'IGNORE';
    my $filler = '{"keys":[' . (' ' x 65536);
    for (;;) {
        my $c = $srv->accept or next;
        my $req = '';
        while ($req !~ /\r\n\r\n/) {
            my $n = sysread $c, my $buf, 4096;
            last unless $n;
            $req .= $buf;
        }
        my $mode = $t->read_file('mode');
        open my $log, '>>', "$kd/fetches.log";
        print $log "$mode\n";
        close $log;
        if ($mode =~ /^jwks (.*)/) {
            my $doc = encode_json({ keys => [ map { jwk($_) } split / /,
                                                  $1 ] });
            print $c "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                     . 'Content-Length: ' . length($doc)
                     . "\r\nConnection: close\r\n\r\n$doc";
        } elsif ($mode eq 'chunked') {
            print $c "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                     . "Transfer-Encoding: chunked\r\n\r\n";
            for (1 .. 48) {
                last unless print $c sprintf("%x\r\n%s\r\n", length $filler,
                                             $filler);
            }
            print $c "0\r\n\r\n";
        } else {
            print $c "HTTP/1.0 200 OK\r\nContent-Type: application/json"
                     . "\r\n\r\n";
            for (1 .. 48) {
                last unless print $c $filler;
            }
        }
        $c->close(SSL_fast_shutdown => 1);
    }
    _exit(0);
}
close $srv;

END { local $?; if ($child) { kill "KILL", $child; waitpid $child, 0; } }

my $src = "https://localhost:$ksp/jwks.json";

$t->start(<<"EOF", workers => 2);
    ticket_keys_trusted_certificate $ca;
    server {
        listen 127.0.0.1:%%PORT%%;
        location /k { ticket user;
            ticket_keys_url $src refresh=1s:1s;
            proxy_pass http://127.0.0.1:%%PORT:backend%%; }
        location = /status { ticket_status; }
    }
    server {
        listen 127.0.0.1:%%PORT:backend%%;
        location / { return 200 "ok\\n"; }
    }
EOF

my %tk = map { $_ => $t->mint(key => $key{$_}{key}, kid => $_,
                              sub => "u-$_", kind => 'user') } qw(k1 k2);

sub status { $t->get('/k', ticket => $_[0])->{status} }

sub too_large {
    my $body = $t->get('/status')->{body};
    return $body =~ /^ticket_keys_fetch_total\{source="\Q$src\E",result="too_large"\} (\d+)$/m
           ? $1 : 0;
}

sub big_lines {
    my @l = $t->error_log =~ /\[error\][^\n]*key service localhost: response larger than 1064960 bytes/g;
    return scalar @l;
}

ok(TicketTest::poll(sub { status($tk{k1}) == 200 }), 'k1 fetched with Content-Length');

# ---- chunked, 3 MB ----------------------------------------------------------

mode('chunked');
ok(TicketTest::poll(sub { too_large() >= 1 }), 'a 3 MB chunked body: too_large');
ok(big_lines() >= 1, 'and an error line: response larger than 1 MB + 16 KB');
is(status($tk{k1}), 200, 'k1 kept through the chunked refusal');

# ---- close-delimited, 3 MB ----------------------------------------------------

my $before = too_large();
mode('close');
ok(TicketTest::poll(sub { too_large() > $before }),
   'a 3 MB body ended by close: too_large');
is(status($tk{k1}), 200, 'k1 kept through the close-delimited refusal');
is(status($tk{k2}), 401, 'nothing of the refused bodies was taken');
unlike($t->error_log, qr/keys of "\Q$src\E" changed: added none; removed/,
       'no key was ever removed by a refused body');

# ---- the service recovers ----------------------------------------------------

mode('jwks k1 k2');
ok(TicketTest::poll(sub { status($tk{k2}) == 200 }), 'a good document again: k2 verifies');

$t->done;
