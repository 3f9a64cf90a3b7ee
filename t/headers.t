#!/usr/bin/perl
# ticket_set_header: verified claims forwarded to the backend; a client-sent
# header of that name (any case, any number of copies) is removed whether
# the ticket is valid, lacks the claim, is refused or audited, or the scope
# is unprotected; control bytes are escaped; dotted paths, numbers, arrays.

use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use IO::Socket::INET;
use POSIX ();
use TicketTest;

plan(tests => 59);

my $t = TicketTest->new;
my $k = $t->keygen('ES256', 'k1');
my $other = $t->keygen('ES256', 'k2');      # not configured: bad signatures

# A backend that answers with the raw request head it received, so that
# every copy of a header and every line break is visible.
my $echo_pid;
{
    my $srv = IO::Socket::INET->new(LocalAddr => '127.0.0.1',
                                    LocalPort => $t->port('backend'),
                                    Proto => 'tcp', Listen => 64,
                                    ReuseAddr => 1)
        or die "echo backend: $!\n";
    $echo_pid = fork // die "fork: $!\n";
    if ($echo_pid == 0) {
        while (my $c = $srv->accept) {
            my $head = '';
            while (defined(my $l = <$c>)) {
                $head .= $l;
                last if $l eq "\r\n" || $l eq "\n";
            }
            print $c "HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n"
                   . "Content-Length: " . length($head) . "\r\n"
                   . "Connection: close\r\n\r\n$head";
            close $c;
        }
        POSIX::_exit(0);
    }
    close $srv;
}

END {
    local $?;
    if ($echo_pid) {
        kill 'TERM', $echo_pid;
        waitpid $echo_pid, 0;
    }
}

$t->start(<<'EOF');
    log_format t '$arg_c $status $ticket_decision $ticket_reason';
    ticket_keys %%DIR%%/keys/k1.jwks;

    server {
        listen 127.0.0.1:%%PORT%%;
        access_log %%DIR%%/logs/x.log t;

        ticket_set_header X-User sub;
        ticket_set_header X-Tenant tenant;
        ticket_set_header X-Role realm_access.roles;
        ticket_set_header X-Level level;
        ticket_set_header X-Groups groups;
        ticket_set_header X-Obj obj;
        ticket_set_header X-Note note;

        location /h/ {
            ticket any;
            proxy_pass http://127.0.0.1:%%PORT:backend%%;
        }

        location /fb/ {
            ticket any;
            ticket_audience orders;
            error_page 401 403 = @fallback;
            proxy_pass http://127.0.0.1:%%PORT:backend%%;
        }

        location @fallback {
            proxy_pass http://127.0.0.1:%%PORT:backend%%;
        }

        location /audit/ {
            ticket any;
            ticket_mode audit;
            proxy_pass http://127.0.0.1:%%PORT:backend%%;
        }

        location /open/ {
            proxy_pass http://127.0.0.1:%%PORT:backend%%;
        }
    }
EOF

sub tk {
    my ($key, %a) = @_;
    return $t->mint(key => $key->{key}, kid => 'k1', sub => 'alice',
                    kind => 'user', %a);
}

# request; returns (status, [ [name, value], ... ] as the backend saw them,
# raw head)
sub fwd {
    my ($uri, $ticket, @hdrs) = @_;
    my $r = $t->get($uri, ticket => $ticket, headers => \@hdrs);
    my @lines;
    for my $l (split /\r\n/, $r->{body}) {
        push @lines, [lc $1, $2] if $l =~ /^([^:]+):\s*(.*)$/;
    }
    return ($r->{status}, \@lines, $r->{body});
}

sub values_of {
    my ($lines, $name) = @_;
    return [map { $_->[1] } grep { $_->[0] eq lc $name } @$lines];
}

my @forged = ('X-User' => 'evil1', 'x-user' => 'evil2', 'X-USER' => 'evil3',
              'X-Tenant' => 'forged', 'x-role' => 'admin',
              'X-Level' => '99');

# valid ticket: claims forwarded, every client copy removed

my $good = tk($k, tenant => 'acme');
my ($st, $l, $raw) = fwd('/h/x?c=valid', $good, @forged);
is($st, 200, 'valid: 200');
is_deeply(values_of($l, 'x-user'), ['alice'], 'valid: one X-User, the sub');
is_deeply(values_of($l, 'x-tenant'), ['acme'], 'valid: X-Tenant, the claim');
is_deeply(values_of($l, 'x-role'), [], 'valid: no role claim, no X-Role');
is_deeply(values_of($l, 'x-level'), [], 'valid: no level claim, no X-Level');
unlike($raw, qr/evil|forged/, 'valid: no forged value reaches the backend');
like($raw, qr/^X-User: alice\r$/m, 'valid: header name as configured');

# claim absent: nothing forwarded, client copy still removed

($st, $l, $raw) = fwd('/h/x?c=no-tenant', tk($k), @forged);
is($st, 200, 'no tenant claim: 200');
is_deeply(values_of($l, 'x-user'), ['alice'], 'no tenant claim: X-User');
is_deeply(values_of($l, 'x-tenant'), [],
          'no tenant claim: backend sees no X-Tenant');
unlike($raw, qr/evil|forged/, 'no tenant claim: nothing forged');

# refused tickets, proxied through error_page: nothing forged, nothing
# unverified

($st, $l, $raw) = fwd('/fb/x?c=fb-missing', undef, @forged);
is($st, 200, 'no ticket, error_page fallback: proxied');
is_deeply(values_of($l, 'x-user'), [], 'no ticket: no X-User');
is_deeply(values_of($l, 'x-tenant'), [], 'no ticket: no X-Tenant');
unlike($raw, qr/evil|forged/, 'no ticket: nothing forged');

my $forged_sig = tk($other, sub => 'mallory', tenant => 'evilcorp',
                    aud => 'orders');
($st, $l, $raw) = fwd('/fb/x?c=fb-badsig', $forged_sig, @forged);
is($st, 200, 'bad signature, fallback: proxied');
is_deeply(values_of($l, 'x-user'), [], 'bad signature: no X-User');
is_deeply(values_of($l, 'x-tenant'), [], 'bad signature: no X-Tenant');
unlike($raw, qr/mallory|evilcorp/,
       'bad signature: unverified claims not forwarded');
unlike($raw, qr/evil1|evil2|evil3|forged/, 'bad signature: nothing forged');

my $wrong_aud = tk($k, sub => 'bob', aud => 'billing', tenant => 'acme');
($st, $l, $raw) = fwd('/fb/x?c=fb-scope', $wrong_aud, @forged);
is($st, 200, 'wrong audience (403), fallback: proxied');
is_deeply(values_of($l, 'x-user'), [], 'refused 403: no X-User');
unlike($raw, qr/evil|forged/, 'refused 403: nothing forged');

my $fb_good = tk($k, aud => 'orders');
($st, $l, $raw) = fwd('/fb/x?c=fb-valid', $fb_good, @forged);
is($st, 200, 'fallback location, valid ticket: 200');
is_deeply(values_of($l, 'x-user'), ['alice'],
          'fallback location, valid ticket: X-User');

# audit mode lets an invalid ticket through: still nothing forged

($st, $l, $raw) = fwd('/audit/x?c=audit-badsig', $forged_sig, @forged);
is($st, 200, 'audit, bad signature: proxied');
is_deeply(values_of($l, 'x-user'), [], 'audit, bad signature: no X-User');
unlike($raw, qr/mallory|evilcorp/, 'audit: unverified claims not forwarded');
unlike($raw, qr/evil1|evil2|evil3|forged/, 'audit: nothing forged');

($st, $l, $raw) = fwd('/audit/x?c=audit-missing', undef, @forged);
is($st, 200, 'audit, no ticket: proxied');
is_deeply(values_of($l, 'x-user'), [], 'audit, no ticket: no X-User');
unlike($raw, qr/evil|forged/, 'audit, no ticket: nothing forged');

# an unprotected location in the scope of ticket_set_header

($st, $l, $raw) = fwd('/open/x?c=open', $good, @forged);
is($st, 200, 'unprotected: 200');
is_deeply(values_of($l, 'x-user'), [], 'unprotected: client X-User removed');
unlike($raw, qr/evil|forged/, 'unprotected: nothing forged');

# control bytes are escaped: a claim cannot split a header

my $nl = tk($k, claim => ['note="a\nInjected: yes\r\nX-User: root"',
                          'tenant="ac\u0001me"']);
($st, $l, $raw) = fwd('/h/x?c=newline', $nl);
is($st, 200, 'claim with newline: 200');
is_deeply(values_of($l, 'x-note'),
          ['a\x0aInjected: yes\x0d\x0aX-User: root'],
          'claim with newline: escaped as \x0a, one line');
is_deeply(values_of($l, 'injected'), [], 'claim with newline: no header split');
is_deeply(values_of($l, 'x-user'), ['alice'],
          'claim with newline: no second X-User');
is_deeply(values_of($l, 'x-tenant'), ['ac\x01me'],
          'control byte in tenant: \x01');
unlike($raw, qr/[\x00-\x08\x0b\x0c\x0e-\x1f]/, 'no raw control bytes');

# dotted path, numbers, arrays, booleans, objects as text

my $typed = tk($k, claim => ['realm_access={"roles":["admin","ops"]}',
                             'level=3', 'groups=["g1","g2"]',
                             'obj={"a":1,"b":[true,null]}', 'note=true']);
($st, $l, $raw) = fwd('/h/x?c=typed', $typed);
is($st, 200, 'typed claims: 200');
is_deeply(values_of($l, 'x-role'), ['admin,ops'],
          'dotted path realm_access.roles: comma-joined');
is_deeply(values_of($l, 'x-level'), ['3'], 'number as text');
is_deeply(values_of($l, 'x-groups'), ['g1,g2'], 'array of strings joined');
is_deeply(values_of($l, 'x-obj'), ['{"a":1,"b":[true,null]}'],
          'object as compact JSON');
is_deeply(values_of($l, 'x-note'), ['true'], 'boolean as text');

my $str_roles = tk($k, claim => ['realm_access={"roles":"admin ops"}',
                                 'level=-12', 'groups=[1,"x"]']);
($st, $l, $raw) = fwd('/h/x?c=typed2', $str_roles);
is($st, 200, 'typed claims 2: 200');
is_deeply(values_of($l, 'x-role'), ['admin ops'],
          'dotted path to a string: as it is');
is_deeply(values_of($l, 'x-level'), ['-12'], 'negative number as text');
is_deeply(values_of($l, 'x-groups'), ['[1,"x"]'],
          'mixed array as compact JSON');

$t->stop;

my %log;
for my $line (split /\n/, $t->read_file('logs/x.log')) {
    my ($c, $rest) = split / /, $line, 2;
    $log{$c} = $rest;
}

is($log{valid}, '200 allow ok', 'log: valid');
is($log{'no-tenant'}, '200 allow ok', 'log: no tenant');
is($log{'fb-missing'}, '200 deny missing', 'log: fallback, missing');
is($log{'fb-badsig'}, '200 deny bad_signature',
   'log: fallback, bad_signature');
is($log{'fb-scope'}, '200 deny wrong_audience',
   'log: fallback, wrong_audience');
is($log{'audit-badsig'}, '200 audit bad_signature', 'log: audit');
is($log{open}, '200  ', 'log: unprotected, nothing decided');

$t->done;
