#!/usr/bin/perl
# A receiver's request body (an SSF push, a back-channel logout form) is
# read into memory only, never into a temporary file, and at most 64 KiB
# of it: a bigger one is 413 whether Content-Length announces it or it
# comes chunked.  Bodies larger than client_body_buffer_size (16 KiB) and
# bodies sent chunked in small pieces over several writes are read whole.
# Receivers here run under ticket_mode audit: verified, answered, nothing
# written (no Redis needed).

use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use IO::Select;
use IO::Socket::INET;
use Time::HiRes qw(time sleep);
use TicketTest;

plan(tests => 11);

$SIG{PIPE} = "IGNORE";    # a 413 may close before the body is sent

my $t = TicketTest->new;

my $secret = 'idp-secret-' . join('', map { chr(97 + int rand 26) } 1 .. 32);
$t->write_file('idp.key', $secret, 0600);

my $ISS = 'https://idp.example.com/';
my $AUD = 'https://gw.example.com/signals';
my $RISC = 'https://schemas.openid.net/secevent/risc/event-type/';
my $BCL = 'http://schemas.openid.net/event/backchannel-logout';

$t->start(<<"EOF", log_level => 'info');
    server {
        listen 127.0.0.1:%%PORT%%;
        ticket_key idp HS256 %%DIR%%/idp.key;
        ticket_issuer $ISS;
        ticket_audience $AUD;
        ticket_mode audit;
        location = /ssf { ticket_ssf_receiver; }
        location = /logout { ticket_backchannel_logout; }
    }
EOF

my $n = 0;

sub set_token {
    my ($claims, $header) = @_;
    $header //= '{"typ":"secevent+jwt","alg":"HS256","kid":"idp"}';
    return TicketTest::hs_token($header, $claims, $secret);
}

sub set {
    $n++;
    return set_token(sprintf('{"iss":"%s","jti":"body-%d-%d","iat":%d,'
                             . '"aud":"%s","sub_id":{"format":"iss_sub",'
                             . '"iss":"%s","sub":"u%d"},"events":{"%s":{}}}',
                             $ISS, $$, $n, time, $AUD, $ISS, $n,
                             $RISC . 'account-disabled'));
}

sub logout_token {
    $n++;
    return set_token(sprintf('{"iss":"%s","jti":"bcl-%d-%d","iat":%d,'
                             . '"exp":%d,"aud":"%s","sub":"u%d",'
                             . '"events":{"%s":{}}}', $ISS, $$, $n, time,
                             time + 60, $AUD, $n, $BCL),
                     '{"typ":"logout+jwt","alg":"HS256","kid":"idp"}');
}

# the request in pieces, a pause between them: several reads for nginx
sub send_parts {
    my ($head, @parts) = @_;
    my $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1:' . $t->port,
                                  Proto => 'tcp', Timeout => 5)
        or return {};
    $s->autoflush(1);
    print $s $head;
    for my $p (@parts) {
        last unless print $s $p;
        sleep 0.01;
    }
    my $sel = IO::Select->new($s);
    my $resp = '';
    my $end = time + 10;
    while (time < $end) {
        last unless $sel->can_read($end - time);
        my $r = sysread $s, my $buf, 65536;
        last unless $r;
        $resp .= $buf;
    }
    close $s;
    return TicketTest::parse_response($resp);
}

sub chunked {
    my ($uri, $type, $body, $size) = @_;
    my @parts;
    for (my $i = 0; $i < length $body; $i += $size) {
        my $c = substr($body, $i, $size);
        push @parts, sprintf("%x\r\n%s\r\n", length $c, $c);
    }
    push @parts, "0\r\n\r\n";
    return send_parts("POST $uri HTTP/1.1\r\nHost: localhost\r\n"
                      . "Connection: close\r\nContent-Type: $type\r\n"
                      . "Transfer-Encoding: chunked\r\n\r\n", @parts);
}

sub with_length {
    my ($uri, $type, $body, $size) = @_;
    my @parts = map { substr($body, $_ * $size, $size) }
                0 .. int((length($body) - 1) / $size);
    return send_parts("POST $uri HTTP/1.1\r\nHost: localhost\r\n"
                      . "Connection: close\r\nContent-Type: $type\r\n"
                      . 'Content-Length: ' . length($body) . "\r\n\r\n",
                      @parts);
}

my $SET = 'application/secevent+jwt';
my $FORM = 'application/x-www-form-urlencoded';

# ---- read whole, in memory ---------------------------------------------------

is(chunked('/ssf', $SET, set(), 7)->{status}, 202,
   'a SET chunked 7 bytes at a time: 202');
is(chunked('/ssf', $SET, set() . (' ' x 40000) . "\n", 1000)->{status}, 202,
   'a chunked SET padded to 40 KB (past client_body_buffer_size): 202');
is(with_length('/ssf', $SET, set() . (' ' x 60000), 4096)->{status}, 202,
   'a 60 KB SET with Content-Length in 4 KB writes: 202');
is(chunked('/logout', $FORM, 'logout_token=' . logout_token(), 16)
       ->{status}, 200, 'a chunked logout form: 200');
is(chunked('/ssf', $SET, set() . (' ' x (65536 - 2000)), 4096)->{status},
   202, 'a chunked body just under 64 KiB: 202');

# ---- over 64 KiB: 413 ----------------------------------------------------------

is(chunked('/ssf', $SET, set() . (' ' x 70000), 4096)->{status}, 413,
   'a chunked body over 64 KiB: 413');
is(chunked('/logout', $FORM, 'logout_token=' . logout_token()
                             . '&pad=' . ('x' x 70000), 65536)->{status},
   413, 'a chunked logout form over 64 KiB in one chunk: 413');
is(with_length('/ssf', $SET, set() . (' ' x 70000), 8192)->{status}, 413,
   'a Content-Length over 64 KiB: 413');
like($t->error_log, qr/ticket signal body larger than 65536 bytes/,
     'the chunked refusal is logged (info)');

unlike($t->error_log, qr/buffered to a temporary file/,
       'no receiver body ever went to a temporary file');

$t->done;
