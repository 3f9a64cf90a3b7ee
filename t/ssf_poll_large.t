#!/usr/bin/perl
# ticketctl ssf poll against a transmitter whose answer has no
# Content-Length: a chunked body and one ended by close, each of 20 MB.
# ticketctl reads at most 16 MB of a response: it stops there with an
# error and exit 2, writes nothing to Redis and acknowledges nothing (it
# never sends a second request).  The transmitter is a real HTTP server
# on loopback run by this test; Redis is a real redis-server.

use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use IO::Socket::INET;
use POSIX qw(_exit);
use TicketTest;

plan(tests => 8);

my $t = TicketTest->new;
my $idp = $t->keygen('HS256', 'idp');
my $rport = $t->start_redis;

my $srv = IO::Socket::INET->new(LocalAddr => '127.0.0.1', LocalPort => 0,
                                Listen => 8, ReuseAddr => 1, Proto => 'tcp')
    or die "listen: $!\n";
my $port = $srv->sockport;
my $log = $t->dir . '/requests.log';

my $child = fork // die "fork: $!\n";
if ($child == 0) {
    $SIG{PIPE} = 'IGNORE';
    my $filler = 'x' x 65536;
    while (my $c = $srv->accept) {
        my $req = '';
        while ($req !~ /\r\n\r\n/) {
            my $n = sysread $c, my $buf, 4096;
            last unless $n;
            $req .= $buf;
        }
        open my $fh, '>>', $log;
        print $fh (($req =~ m{^POST (\S+)})[0] // '?'), "\n";
        close $fh;
        if ($req =~ m{^POST /chunked}) {
            print $c "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                     . "Transfer-Encoding: chunked\r\n\r\n";
            print $c sprintf("%x\r\n", 2) . "{\"\r\n";
            for (1 .. 320) {
                last unless print $c sprintf("%x\r\n%s\r\n",
                                             length $filler, $filler);
            }
            print $c "0\r\n\r\n";
        } else {
            print $c "HTTP/1.0 200 OK\r\nContent-Type: application/json"
                     . "\r\n\r\n{\"";
            for (1 .. 320) {
                last unless print $c $filler;
            }
        }
        close $c;
    }
    _exit(0);
}
close $srv;

END { local $?; if ($child) { kill 'KILL', $child; waitpid $child, 0; } }

for my $case ('chunked', 'close') {
    my ($rc, $out, $err) = $t->ticketctl(
        'ssf', 'poll', '--url', "http://127.0.0.1:$port/$case",
        '--keys', $idp->{jwks}, '--iss', 'https://idp.example.com/',
        '--aud', 'https://gw.example.com/',
        '--redis', "127.0.0.1:$rport");
    is($rc, 2, "$case, 20 MB: exit 2");
    like($err, qr/response larger than 16777216 bytes/,
         "$case: the error names the bound");
}

my @reqs = grep { length } split /\n/, $t->read_file('requests.log');
is_deeply(\@reqs, [ '/chunked', '/close' ],
          'one request each: nothing acknowledged after the refusal');
is($t->redis_cmd('EXISTS', 'ticket:revoked:sub'), 0, 'nothing in Redis');
is($t->redis_cmd('EXISTS', 'ticket:events'), 0, 'no stream entry');
$t->done;
