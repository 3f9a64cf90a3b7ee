package RevTest;

# Helpers for the revocation fault tests (t/revocation_*.t): a gateway
# configuration with one protected location and a status location,
# revocations written as any writer writes them (row and stream entry in
# one MULTI/EXEC), and watching a ticket's status until it changes.
# Nothing sleeps for propagation: requests poll until the expected status.

use strict;
use warnings;

use Exporter qw(import);
use Time::HiRes qw(time sleep);
use Test::More;

our @EXPORT = qw(rev_conf rev_mint rev_write rev_watch rev_status
                 rev_entries rev_poll rev_replica);

my $PRE = 'ticket:revoked:';

# rev_conf(redis => 'ADDR ...', stale => 2, timeout => '300ms',
#          extra => '...', loc => '...')
sub rev_conf {
    my (%o) = @_;
    my $redis = $o{redis} // '127.0.0.1:%%PORT:redis%%';
    my $stale = $o{stale} // 2;
    my $extra = $o{extra} // '';
    my $loc = $o{loc} // '';
    my $timeout = $o{timeout} // '300ms';
    return <<"EOF";
    ticket_redis $redis timeout=$timeout;
    ticket_revocation_max_stale ${stale}s;
    $extra

    server {
        listen 127.0.0.1:%%PORT%% reuseport;

        location /api/ {
            ticket user;
            ticket_keys %%DIR%%/keys/k1.jwks;
            $loc
            add_header X-Reason \$ticket_reason always;
            proxy_pass http://127.0.0.1:%%PORT:backend%%;
        }

        location = /status {
            ticket_status;
        }
    }

    server {
        listen 127.0.0.1:%%PORT:backend%%;
        location / {
            return 200 "backend\\n";
        }
    }
EOF
}

sub rev_mint {
    my ($t, $key, %a) = @_;
    return $t->mint(key => $key->{key}, kid => 'k1', kind => 'user', %a);
}

# a revocation as a writer makes it; $t may be any TicketTest whose
# redis_port is the primary
sub rev_write {
    my ($t, $list, $member, $value) = @_;
    my @row = $list eq 'jti'
            ? ('ZADD', "${PRE}jti", $value, $member)
            : $list eq 'kid'
            ? ('SADD', "${PRE}kid", $member)
            : ('HSET', "$PRE$list", $member, $value);
    my @x = ('XADD', 'ticket:events', '*', 'op', 'revoke', 'list', $list,
             'member', $member);
    push @x, 'value', $value if $list ne 'kid';
    my @r = ($t->redis_cmd('MULTI'), $t->redis_cmd(@row),
             $t->redis_cmd(@x), $t->redis_cmd('EXEC'));
    die "revoke $list $member: " . explain(\@r) unless ref $r[3] eq 'ARRAY'
        && !grep { ref } @{$r[3]};
}

sub rev_status {
    my ($t, $tk) = @_;
    return $t->get('/api/x', ticket => $tk)->{status};
}

# rev_watch($t, $ticket, until => STATUS, limit => SECONDS)
# rev_watch($t, $ticket, for => SECONDS): every status seen
sub rev_watch {
    my ($t, $tk, %o) = @_;
    my $limit = $o{for} // $o{limit} // 5;
    my $t0 = time;
    my %w = (statuses => []);
    while (1) {
        my $now = time - $t0;
        my $r = $t->get('/api/x', ticket => $tk);
        push @{$w{statuses}}, $r->{status};
        $w{last} = $r;
        if (defined $o{until} && $r->{status} == $o{until}) {
            $w{reached} = 1;
            $w{at} = $now;
            last;
        }
        last if time - $t0 > $limit;
        sleep 0.02;
    }
    return \%w;
}

# rows of a list the gateway holds (ticket_status)
sub rev_entries {
    my ($t, $list) = @_;
    my $b = $t->get('/status')->{body};
    return $b =~ /^ticket_revocation_entries\{list="$list"\} (\d+)$/m
           ? $1 : -1;
}

# poll a code ref until true (or limit seconds): the value, or undef
sub rev_poll {
    my ($code, $limit) = @_;
    my $end = time + ($limit // 10);
    while (time < $end) {
        my $v = $code->();
        return $v if $v;
        sleep 0.05;
    }
    return undef;
}

# rev_replica($t, $r): a Redis primary on $t and its replica on $r, a test
# passed once the replica replicates; their ports
sub rev_replica {
    my ($t, $r) = @_;
    my $pport = $t->start_redis;
    my $rport = $r->start_redis(args => ['--replicaof', '127.0.0.1', $pport]);
    ok(rev_poll(sub {
        ($r->redis_cmd('INFO', 'replication') // '')
            =~ /master_link_status:up/;
    }, 10), 'the replica replicates');
    return ($pport, $rport);
}

1;
