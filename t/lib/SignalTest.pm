package SignalTest;

# What the signal receiver tests (t/signals.t, t/backchannel_refusals.t)
# share: the identity provider's HS256 secret, written as idp.key for
# "ticket_key idp HS256 %%DIR%%/idp.key"; the gateway's own tickets (key
# k1, tenant acme) and their status at /x/, polled until every worker
# gives it; a POST to a receiver.  Tokens themselves are each test's: they
# are shaped as the specification each one follows.

use strict;
use warnings;

use Exporter qw(import);
use Time::HiRes qw(time sleep);
use TicketTest;

our @EXPORT = qw(sig_secret sig_ticket sig_status sig_wait_status sig_post
                 sig_logout);

# a fresh random secret, written to idp.key (0600)
sub sig_secret {
    my ($t) = @_;
    my $secret = 'idp-secret-'
                 . join('', map { chr(97 + int rand 26) } 1 .. 32);
    $t->write_file('idp.key', $secret, 0600);
    return $secret;
}

# a ticket of the gateway's (key $k from keygen, kid k1)
sub sig_ticket {
    my ($t, $k, %a) = @_;
    return $t->mint(key => $k->{key}, kid => 'k1', kind => 'user',
                    tenant => 'acme', ttl => '10m', %a);
}

sub sig_status { $_[0]->get('/x/', ticket => $_[1])->{status} }

# poll until the ticket gets the status from every worker (several
# requests in a row), at most LIMIT seconds (10): the last status
sub sig_wait_status {
    my ($t, $ticket, $want, $limit) = @_;
    my $end = time + ($limit // 10);
    my $st = 0;
    my $seen = 0;
    while (time < $end) {
        $st = sig_status($t, $ticket);
        $seen = $st == $want ? $seen + 1 : 0;
        return $st if $seen >= 4;
        sleep 0.02;
    }
    return $st;
}

sub sig_post {
    my ($t, $uri, $type, $body) = @_;
    my $req = "POST $uri HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n"
            . "Content-Type: $type\r\nContent-Length: " . length($body)
            . "\r\n\r\n$body";
    return TicketTest::parse_response($t->http($req));
}

# a back-channel logout token to /logout, as the provider sends it
sub sig_logout {
    my ($t, $token) = @_;
    return sig_post($t, '/logout', 'application/x-www-form-urlencoded',
                    'logout_token=' . $token);
}

1;
