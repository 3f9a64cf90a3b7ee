package SsfTransmitter;
# A small RFC 8936 poll transmitter for the tests: real HTTP on loopback,
# in a child process.  It holds SETs keyed by jti, hands out those not yet
# acknowledged, drops what a request acknowledges and writes every request
# body, one a line, to a log the test reads.

use strict;
use warnings;
use IO::Socket::INET;
use JSON::PP;

sub start {
    my ($class, %a) = @_;
    my $srv = IO::Socket::INET->new(LocalAddr => '127.0.0.1',
                                    LocalPort => $a{port}, Listen => 16,
                                    ReuseAddr => 1, Proto => 'tcp')
        or die "transmitter: listen on $a{port}: $!\n";
    my $pid = fork // die "fork: $!\n";
    if ($pid) {
        close $srv;
        return bless { pid => $pid, log => $a{log} }, $class;
    }
    my %pending = %{$a{sets}};
    my $json = JSON::PP->new->canonical;
    while (my $c = $srv->accept) {
        local $/ = "\r\n";
        my $line = <$c> // next;
        my $len = 0;
        my $auth = '';
        while (my $h = <$c>) {
            last if $h eq "\r\n";
            $len = $1 if $h =~ /^Content-Length:\s*(\d+)/i;
            $auth = $1 if $h =~ /^Authorization:\s*(.*?)\r\n/i;
        }
        my $body = '';
        read($c, $body, $len) if $len;
        open my $fh, '>>', $a{log} or die;
        print $fh "$body\n";
        close $fh;
        my $req = eval { $json->decode($body) } // {};
        delete $pending{$_} for @{$req->{ack} // []};
        delete $pending{$_} for keys %{$req->{setErrs} // {}};
        my %out;
        my $max = $req->{maxEvents} // 100;
        for my $jti (sort keys %pending) {
            last if keys %out >= $max;
            $out{$jti} = $pending{$jti};
        }
        my $resp = $json->encode({ sets => \%out,
                                   moreAvailable => (keys %pending > keys %out)
                                                    ? JSON::PP::true
                                                    : JSON::PP::false });
        print $c "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
               . "Content-Length: " . length($resp) . "\r\n"
               . "Connection: close\r\n\r\n$resp";
        close $c;
    }
    exit 0;
}

sub stop {
    my ($self) = @_;
    return unless $self->{pid};
    kill 'TERM', $self->{pid};
    waitpid $self->{pid}, 0;
    delete $self->{pid};
}

sub DESTROY { $_[0]->stop }

1;
